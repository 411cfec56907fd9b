/*
 * unit_s3xml.c
 *		Known answers for src/storage/s3_xml.c: what it must accept, what it
 *		must decode to, and what it must refuse.  Built and run by run.sh
 *		before the fuzzer; prints "N passed, N failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_xml.h"

static int	passed,
			failed;

static void *
heap_alloc(void *arg, size_t size)
{
	(void) arg;
	return malloc(size ? size : 1);	/* leaked on purpose: a test process */
}

static const S3XmlAllocator heap = {heap_alloc, NULL};

static void
expect(int ok, const char *what, const char *doc, const char *err)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("FAIL: %s\n  document: %s\n  parser said: %s\n", what, doc, err);
	}
}

/* A listing that must parse; checks its objects ("key=size" joined by ' '). */
static void
listing_ok(const char *doc, const char *objects, int truncated, const char *token)
{
	S3XmlListing l;
	char		err[128] = "";
	char		got[4096] = "";
	size_t		i;
	S3XmlStatus st = s3xml_parse_listing(doc, strlen(doc), &heap, &l, err, sizeof(err));

	if (st != S3XML_OK)
	{
		expect(0, "listing parses", doc, err);
		return;
	}
	for (i = 0; i < l.nobjects; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s=%lld",
				 i ? " " : "", l.objects[i].key, (long long) l.objects[i].size);
	expect(strcmp(got, objects) == 0, objects, doc, got);
	expect(l.is_truncated == truncated, "IsTruncated", doc, "");
	expect((token == NULL && l.next_token == NULL) ||
		   (token && l.next_token && strcmp(token, l.next_token) == 0),
		   "NextContinuationToken", doc, l.next_token ? l.next_token : "(null)");
}

static void
listing_bad(const char *doc, S3XmlStatus want, const char *reason)
{
	S3XmlListing l;
	char		err[128] = "";
	S3XmlStatus st = s3xml_parse_listing(doc, strlen(doc), &heap, &l, err, sizeof(err));

	expect(st == want && strstr(err, reason) != NULL, reason, doc, err);
}

static void
error_ok(const char *doc, const char *code, const char *message)
{
	S3XmlError e;
	char		err[128] = "";
	S3XmlStatus st = s3xml_parse_error(doc, strlen(doc), &heap, &e, err, sizeof(err));

	expect(st == S3XML_OK &&
		   ((code == NULL && e.code == NULL) || (code && e.code && strcmp(code, e.code) == 0)) &&
		   ((message == NULL && e.message == NULL) ||
			(message && e.message && strcmp(message, e.message) == 0)),
		   "error body", doc, st == S3XML_OK ? (e.message ? e.message : "(null)") : err);
}

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define LBR "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

int
main(void)
{
	/* MinIO's shape, with entities and numeric references */
	listing_ok(HEAD LBR "<Name>a-bucket</Name><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>"
			   "<Contents><Key>files/a/1</Key><ETag>&#34;x&#34;</ETag><Size>2761</Size></Contents>"
			   "<Contents><Key>files/a/2</Key><Size>0</Size></Contents></ListBucketResult>",
			   "files/a/1=2761 files/a/2=0", 0, NULL);
	listing_ok(LBR "<IsTruncated>true</IsTruncated><NextContinuationToken>abc+/=</NextContinuationToken>"
			   "<Contents><Key>a&amp;b&lt;c&gt;d&quot;e&apos;f</Key><Size>9223372036854775807</Size></Contents>"
			   "</ListBucketResult>",
			   "a&b<c>d\"e'f=9223372036854775807", 1, "abc+/=");
	listing_ok(LBR "<IsTruncated> false </IsTruncated><Contents><Key>&#xE9;&#233;\xc3\xa9&#x1F600;</Key>"
			   "<Size>\n 7 \n</Size></Contents></ListBucketResult>",
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xf0\x9f\x98\x80=7", 0, NULL);
	listing_ok(LBR "<!-- c --><?pi x?><IsTruncated>false</IsTruncated><Contents><Key><![CDATA[x<&>y]]>z</Key>"
			   "<Size>1</Size></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>"
			   "<Empty/></ListBucketResult>\n<!-- after -->\n",
			   "x<&>yz=1", 0, NULL);
	listing_ok(LBR "<IsTruncated>false</IsTruncated><Contents><Key>a\r\nb\rc</Key><Size>1</Size></Contents>"
			   "</ListBucketResult>", "a\nb\nc=1", 0, NULL);
	listing_ok(LBR "<IsTruncated>false</IsTruncated></ListBucketResult>", "", 0, NULL);

	/* refused: schema */
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents/></ListBucketResult>",
				S3XML_SCHEMA, "Contents without Key or Size");
	listing_bad("<Error><Code>x</Code></Error>", S3XML_SCHEMA, "not ListBucketResult");
	listing_bad(LBR "<IsTruncated>true</IsTruncated></ListBucketResult>",
				S3XML_SCHEMA, "without NextContinuationToken");
	listing_bad(LBR "<IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken></ListBucketResult>",
				S3XML_SCHEMA, "without NextContinuationToken");
	listing_bad(LBR "</ListBucketResult>", S3XML_SCHEMA, "without IsTruncated");
	listing_bad(LBR "<IsTruncated>yes</IsTruncated></ListBucketResult>", S3XML_SCHEMA, "neither true");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "Size is not");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>9223372036854775808</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "Size is not");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>1 2</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "Size is not");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key>k</Key><Key>j</Key><Size>1</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "two Keys");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key><b>k</b></Key><Size>1</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "Key has child");
	listing_bad(LBR "<IsTruncated>false</IsTruncated><Contents><Key></Key><Size>1</Size></Contents></ListBucketResult>",
				S3XML_SCHEMA, "empty Key");

	/* refused: not well-formed */
	listing_bad("", S3XML_SYNTAX, "root element expected");
	listing_bad(LBR, S3XML_SYNTAX, "unexpected end");
	listing_bad(LBR "<IsTruncated>false</IsTruncated></ListBucketResul>", S3XML_SYNTAX, "does not match");
	listing_bad(LBR "<a></b></ListBucketResult>", S3XML_SYNTAX, "does not match");
	listing_bad(LBR "<IsTruncated>false</IsTruncated></ListBucketResult><x/>", S3XML_SYNTAX, "after the root");
	listing_bad(LBR "<IsTruncated>false</IsTruncated></ListBucketResult>junk", S3XML_SYNTAX, "after the root");
	listing_bad("<!DOCTYPE x [<!ENTITY a \"b\">]>" LBR "</ListBucketResult>", S3XML_SYNTAX, "DOCTYPE");
	listing_bad(LBR "&bogus;</ListBucketResult>", S3XML_SYNTAX, "unknown entity");
	listing_bad(LBR "&amp</ListBucketResult>", S3XML_SYNTAX, "unknown entity");
	listing_bad(LBR "&#0;</ListBucketResult>", S3XML_SYNTAX, "does not allow");
	listing_bad(LBR "&#xD800;</ListBucketResult>", S3XML_SYNTAX, "does not allow");
	listing_bad(LBR "&#x110000;</ListBucketResult>", S3XML_SYNTAX, "out of range");
	listing_bad(LBR "&#99999999999999999999;</ListBucketResult>", S3XML_SYNTAX, "out of range");
	listing_bad(LBR "&#;</ListBucketResult>", S3XML_SYNTAX, "bad character reference");
	listing_bad(LBR "&#x12g;</ListBucketResult>", S3XML_SYNTAX, "bad character reference");
	listing_bad(LBR "\x01</ListBucketResult>", S3XML_SYNTAX, "invalid character");
	listing_bad(LBR "\xc3</ListBucketResult>", S3XML_SYNTAX, "invalid character");
	listing_bad(LBR "\xc0\xaf</ListBucketResult>", S3XML_SYNTAX, "invalid character");
	listing_bad(LBR "\xed\xa0\x80</ListBucketResult>", S3XML_SYNTAX, "invalid character");
	listing_bad(LBR "a]]>b</ListBucketResult>", S3XML_SYNTAX, "\"]]>\"");
	listing_bad(LBR "<!-- a -- b --></ListBucketResult>", S3XML_SYNTAX, "\"--\"");
	listing_bad(LBR "<!-- a ---></ListBucketResult>", S3XML_SYNTAX, "\"--\"");
	listing_bad(LBR "<![CDATA[x</ListBucketResult>", S3XML_SYNTAX, "unterminated CDATA");
	listing_bad(LBR "<?xml version=\"1.0\"?></ListBucketResult>", S3XML_SYNTAX, "not at the start");
	listing_bad("<ListBucketResult a=\"1\" a=\"2\"></ListBucketResult>", S3XML_SYNTAX, "duplicate attribute");
	listing_bad("<ListBucketResult a=\"1\"b=\"2\"></ListBucketResult>", S3XML_SYNTAX, "white space expected");
	listing_bad("<ListBucketResult a=1></ListBucketResult>", S3XML_SYNTAX, "quoted attribute");
	listing_bad("<ListBucketResult a=\"<\"></ListBucketResult>", S3XML_SYNTAX, "'<' in an attribute");
	listing_bad("<ListBucketResult a=\"&x;\"></ListBucketResult>", S3XML_SYNTAX, "unknown entity");
	listing_bad("<1ListBucketResult></1ListBucketResult>", S3XML_SYNTAX, "name expected");
	{
		/* 33 levels */
		char		doc[1024] = LBR;
		int			i;

		for (i = 0; i < 32; i++)
			strcat(doc, "<a>");
		listing_bad(doc, S3XML_SYNTAX, "nested too deeply");
	}

	/* error bodies */
	error_ok(HEAD "<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated "
			 "does not match</Message><BucketName>a-bucket</BucketName></Error>",
			 "SignatureDoesNotMatch", "The request signature we calculated does not match");
	error_ok("<Error><Code>NoSuchKey</Code></Error>", "NoSuchKey", NULL);
	error_ok("<Error/>", NULL, NULL);
	{
		S3XmlError e;
		char		err[128];

		expect(s3xml_parse_error("<ListBucketResult/>", 19, &heap, &e, err, sizeof(err)) == S3XML_SCHEMA,
			   "error: wrong root", "<ListBucketResult/>", err);
		expect(s3xml_parse_error("<Error><Code>a</Code><Code>b</Code></Error>", 43, &heap, &e, err,
								 sizeof(err)) == S3XML_SCHEMA, "error: two codes", "", err);
		expect(s3xml_parse_error("<html>502 Bad Gateway</html>", 28, &heap, &e, err, sizeof(err)) == S3XML_SCHEMA,
			   "error: HTML body", "", err);
		expect(s3xml_parse_error("Bad Gateway", 11, &heap, &e, err, sizeof(err)) == S3XML_SYNTAX,
			   "error: plain text body", "", err);
	}
	/* not NUL-terminated: the parser must stop at LEN */
	{
		const char *doc = "<Error><Code>X</Code></Error>trailing";
		S3XmlError	e;
		char		err[128] = "";

		expect(s3xml_parse_error(doc, 29, &heap, &e, err, sizeof(err)) == S3XML_OK &&
			   strcmp(e.code, "X") == 0, "stops at len", doc, err);
	}

	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

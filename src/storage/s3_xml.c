/*-------------------------------------------------------------------------
 *
 * s3_xml.c
 *		A small, strict XML parser for S3 ListObjectsV2 results and Error
 *		bodies.  See s3_xml.h.
 *
 * It accepts the XML 1.0 that S3 servers write: an optional XML
 * declaration, elements with attributes, character data with the five
 * predefined entities and numeric character references, CDATA sections,
 * comments and processing instructions.  It refuses everything else (a
 * DOCTYPE, and so any entity definition, first), and anything that is not
 * well-formed: mismatched tags, bad references, invalid UTF-8, characters
 * XML does not allow, content after the root element, nesting deeper than
 * S3XML_MAX_DEPTH.  A document that is well-formed but is not the expected
 * one (wrong root, a <Size> that is not an int64, a truncated listing
 * without a continuation token) is refused as S3XML_SCHEMA.
 *
 * The parser is a loop over one flat element stack, so hostile input cannot
 * exhaust the C stack; it never reads outside [buf, buf + len), which need
 * not be NUL-terminated.
 *
 *-------------------------------------------------------------------------
 */
#include "s3_xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Attributes of one start tag, checked for duplicates. */
#define MAX_ATTRIBUTES 16

typedef struct XmlLevel
{
	const char *name;			/* points into the document */
	size_t		namelen;
	int			had_child;
} XmlLevel;

typedef struct XmlParser XmlParser;

/* What a document's schema does with its elements. */
typedef struct XmlHandler
{
	/* element NAME opens at DEPTH (1 = root) */
	int			(*on_start) (XmlParser *xp, int depth, const char *name, size_t len);
	/* element NAME closes; TEXT is its own character data when it is a leaf */
	int			(*on_end) (XmlParser *xp, int depth, const char *name, size_t len,
						   int had_child, const char *text, size_t textlen);
} XmlHandler;

struct XmlParser
{
	const char *start;
	const char *p;
	const char *end;
	const S3XmlAllocator *allocator;
	const XmlHandler *handler;
	void	   *state;			/* the handler's */
	S3XmlStatus status;
	char	   *errbuf;
	size_t		errbuflen;
	int			depth;
	XmlLevel	stack[S3XML_MAX_DEPTH];
	/* decoded character data since the last tag */
	char	   *text;
	size_t		textlen;
	size_t		textcap;
};

/* ---------------------------------------------------------------- errors */

#if defined(__GNUC__)
static int	fail(XmlParser *xp, S3XmlStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
#endif

/* Record the first failure; always returns 0 so callers can `return fail(...)`. */
static int
fail(XmlParser *xp, S3XmlStatus status, const char *fmt,...)
{
	if (xp->status == S3XML_OK)
	{
		xp->status = status;
		if (xp->errbuf != NULL && xp->errbuflen > 0)
		{
			va_list		ap;
			size_t		n;

			va_start(ap, fmt);
			vsnprintf(xp->errbuf, xp->errbuflen, fmt, ap);
			va_end(ap);
			n = strlen(xp->errbuf);
			if (status != S3XML_NOMEM && n < xp->errbuflen)
				snprintf(xp->errbuf + n, xp->errbuflen - n, " at byte %zu",
						 (size_t) (xp->p - xp->start));
		}
	}
	return 0;
}

static void *
xml_alloc(XmlParser *xp, size_t size)
{
	void	   *mem = xp->allocator->alloc(xp->allocator->arg, size);

	if (mem == NULL)
		fail(xp, S3XML_NOMEM, "out of memory");
	return mem;
}

/* A NUL-terminated copy of S[0..LEN). */
static char *
xml_strdup(XmlParser *xp, const char *s, size_t len)
{
	char	   *copy = xml_alloc(xp, len + 1);

	if (copy == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

/* ---------------------------------------------------------------- characters */

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* XML 1.0's Char production. */
static int
is_xml_char(uint32_t cp)
{
	return cp == 0x9 || cp == 0xA || cp == 0xD ||
		(cp >= 0x20 && cp <= 0xD7FF) ||
		(cp >= 0xE000 && cp <= 0xFFFD) ||
		(cp >= 0x10000 && cp <= 0x10FFFF);
}

/*
 * Decode one UTF-8 character at P (before END) into *CP.  Returns its length,
 * or 0 when the bytes are not a valid, shortest-form encoding of a character
 * XML allows.
 */
static size_t
decode_char(const char *p, const char *end, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *) p;
	size_t		avail = (size_t) (end - p);
	size_t		n,
				i;
	uint32_t	c;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
	{
		n = 1;
		c = s[0];
	}
	else if ((s[0] & 0xE0) == 0xC0)
	{
		n = 2;
		c = s[0] & 0x1F;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		n = 3;
		c = s[0] & 0x0F;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		n = 4;
		c = s[0] & 0x07;
	}
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		return 0;
	if (!is_xml_char(c))
		return 0;
	*cp = c;
	return n;
}

static int
is_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static int
is_name_char(unsigned char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

static int
starts_with(const XmlParser *xp, const char *lit)
{
	size_t		n = strlen(lit);

	return (size_t) (xp->end - xp->p) >= n && memcmp(xp->p, lit, n) == 0;
}

static void
skip_space(XmlParser *xp)
{
	while (xp->p < xp->end && is_space((unsigned char) *xp->p))
		xp->p++;
}

/* ---------------------------------------------------------------- text buffer */

static int
text_reserve(XmlParser *xp, size_t more)
{
	size_t		need = xp->textlen + more + 1;

	if (need > xp->textcap)
	{
		size_t		cap = xp->textcap ? xp->textcap : 64;
		char	   *grown;

		while (cap < need)
			cap *= 2;
		/* the allocator never frees: the old buffer stays with its owner */
		grown = xml_alloc(xp, cap);
		if (grown == NULL)
			return 0;
		if (xp->textlen > 0)
			memcpy(grown, xp->text, xp->textlen);
		xp->text = grown;
		xp->textcap = cap;
	}
	return 1;
}

static int
text_append(XmlParser *xp, const char *s, size_t len)
{
	if (!text_reserve(xp, len))
		return 0;
	memcpy(xp->text + xp->textlen, s, len);
	xp->textlen += len;
	xp->text[xp->textlen] = '\0';
	return 1;
}

static int
text_append_code_point(XmlParser *xp, uint32_t cp)
{
	char		utf8[4];
	size_t		n;

	if (cp < 0x80)
	{
		utf8[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		utf8[0] = (char) (0xC0 | (cp >> 6));
		utf8[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		utf8[0] = (char) (0xE0 | (cp >> 12));
		utf8[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		utf8[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		utf8[0] = (char) (0xF0 | (cp >> 18));
		utf8[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		utf8[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		utf8[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	return text_append(xp, utf8, n);
}

/*
 * Append raw document characters S[0..LEN) to the text, validating them and
 * normalising line ends (\r\n and a lone \r become \n, as XML requires).
 */
static int
text_append_raw(XmlParser *xp, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end)
	{
		const char *run = s;
		uint32_t	cp;
		size_t		n;

		/* a run of valid characters other than \r */
		while (s < end && *s != '\r')
		{
			if ((unsigned char) *s >= 0x20 || *s == '\t' || *s == '\n')
			{
				if ((unsigned char) *s < 0x80)
				{
					s++;
					continue;
				}
				n = decode_char(s, end, &cp);
				if (n > 0)
				{
					s += n;
					continue;
				}
			}
			xp->p = s;
			return fail(xp, S3XML_SYNTAX, "invalid character or UTF-8 sequence");
		}
		if (s > run && !text_append(xp, run, (size_t) (s - run)))
			return 0;
		if (s < end)
		{
			/* *s == '\r' */
			if (!text_append(xp, "\n", 1))
				return 0;
			s++;
			if (s < end && *s == '\n')
				s++;
		}
	}
	return 1;
}

/* Validate document characters up to TO without keeping them. */
static int
check_chars(XmlParser *xp, const char *to)
{
	const char *s = xp->p;

	while (s < to)
	{
		uint32_t	cp;
		size_t		n = decode_char(s, to, &cp);

		if (n == 0)
		{
			xp->p = s;
			return fail(xp, S3XML_SYNTAX, "invalid character or UTF-8 sequence");
		}
		s += n;
	}
	return 1;
}

/* Where LIT next occurs at or after P, or NULL. */
static const char *
find(const char *p, const char *end, const char *lit)
{
	size_t		n = strlen(lit);

	while ((size_t) (end - p) >= n)
	{
		const char *hit = memchr(p, lit[0], (size_t) (end - p) - n + 1);

		if (hit == NULL)
			return NULL;
		if (memcmp(hit, lit, n) == 0)
			return hit;
		p = hit + 1;
	}
	return NULL;
}

/*
 * A reference at xp->p ('&'): one of the five predefined entities or a
 * numeric character reference.  Appends what it stands for to the text when
 * KEEP, else only checks it.
 */
static int
parse_reference(XmlParser *xp, int keep)
{
	static const struct
	{
		const char *name;
		char		c;
	}			entities[] = {
		{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}
	};
	uint32_t	cp = 0;
	size_t		i;

	xp->p++;					/* '&' */
	if (xp->p < xp->end && *xp->p == '#')
	{
		int			hex = 0,
					digits = 0;

		xp->p++;
		if (xp->p < xp->end && *xp->p == 'x')
		{
			hex = 1;
			xp->p++;
		}
		while (xp->p < xp->end && *xp->p != ';')
		{
			unsigned char c = (unsigned char) *xp->p;
			int			d;

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				return fail(xp, S3XML_SYNTAX, "bad character reference");
			cp = cp * (hex ? 16 : 10) + (uint32_t) d;
			/* stop before overflow: anything this large is invalid anyway */
			if (cp > 0x10FFFF)
				return fail(xp, S3XML_SYNTAX, "character reference out of range");
			digits++;
			xp->p++;
		}
		if (xp->p >= xp->end || digits == 0)
			return fail(xp, S3XML_SYNTAX, "bad character reference");
		if (!is_xml_char(cp))
			return fail(xp, S3XML_SYNTAX, "character reference to a character XML does not allow");
		xp->p++;				/* ';' */
		return keep ? text_append_code_point(xp, cp) : 1;
	}
	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
	{
		if (starts_with(xp, entities[i].name))
		{
			xp->p += strlen(entities[i].name);
			return keep ? text_append(xp, &entities[i].c, 1) : 1;
		}
	}
	return fail(xp, S3XML_SYNTAX, "unknown entity reference");
}

/* ---------------------------------------------------------------- markup */

/* A Name at xp->p. */
static int
parse_name(XmlParser *xp, const char **name, size_t *len)
{
	const char *s = xp->p;

	if (xp->p >= xp->end || !is_name_start((unsigned char) *xp->p))
		return fail(xp, S3XML_SYNTAX, "name expected");
	while (xp->p < xp->end && is_name_char((unsigned char) *xp->p))
		xp->p++;
	/* non-ASCII name characters must at least be valid UTF-8 */
	{
		const char *save = xp->p;

		xp->p = s;
		if (!check_chars(xp, save))
			return 0;
		xp->p = save;
	}
	*name = s;
	*len = (size_t) (xp->p - s);
	return 1;
}

/* <!-- ... --> at xp->p; "--" may not occur inside. */
static int
parse_comment(XmlParser *xp)
{
	const char *close;
	const char *dashes;

	xp->p += 4;
	close = find(xp->p, xp->end, "-->");
	if (close == NULL)
		return fail(xp, S3XML_SYNTAX, "unterminated comment");
	dashes = find(xp->p, close, "--");
	if (dashes != NULL || (close > xp->p && close[-1] == '-'))
		return fail(xp, S3XML_SYNTAX, "\"--\" inside a comment");
	if (!check_chars(xp, close))
		return 0;
	xp->p = close + 3;
	return 1;
}

/* <?target ... ?> at xp->p, other than the XML declaration. */
static int
parse_pi(XmlParser *xp)
{
	const char *name;
	size_t		len;
	const char *close;

	xp->p += 2;
	if (!parse_name(xp, &name, &len))
		return 0;
	if (len == 3 && (name[0] | 0x20) == 'x' && (name[1] | 0x20) == 'm' && (name[2] | 0x20) == 'l')
		return fail(xp, S3XML_SYNTAX, "XML declaration not at the start");
	close = find(xp->p, xp->end, "?>");
	if (close == NULL)
		return fail(xp, S3XML_SYNTAX, "unterminated processing instruction");
	if (close > xp->p && !is_space((unsigned char) *xp->p))
		return fail(xp, S3XML_SYNTAX, "bad processing instruction");
	if (!check_chars(xp, close))
		return 0;
	xp->p = close + 2;
	return 1;
}

/* Comments, processing instructions and white space outside the root. */
static int
parse_misc(XmlParser *xp)
{
	for (;;)
	{
		skip_space(xp);
		if (starts_with(xp, "<!--"))
		{
			if (!parse_comment(xp))
				return 0;
		}
		else if (starts_with(xp, "<?"))
		{
			if (!parse_pi(xp))
				return 0;
		}
		else
			return 1;
	}
}

/* The optional <?xml version="1.0" ...?> at the very start. */
static int
parse_xml_declaration(XmlParser *xp)
{
	const char *close;

	/* a UTF-8 byte order mark */
	if (starts_with(xp, "\xEF\xBB\xBF"))
		xp->p += 3;
	if (!starts_with(xp, "<?xml") || xp->end - xp->p < 6 || !is_space((unsigned char) xp->p[5]))
		return 1;
	close = find(xp->p, xp->end, "?>");
	if (close == NULL)
		return fail(xp, S3XML_SYNTAX, "unterminated XML declaration");
	if (find(xp->p, close, "version") == NULL)
		return fail(xp, S3XML_SYNTAX, "XML declaration without a version");
	if (!check_chars(xp, close))
		return 0;
	xp->p = close + 2;
	return 1;
}

/* An attribute value in quotes at xp->p, checked and dropped. */
static int
parse_attribute_value(XmlParser *xp)
{
	char		quote;

	if (xp->p >= xp->end || (*xp->p != '"' && *xp->p != '\''))
		return fail(xp, S3XML_SYNTAX, "quoted attribute value expected");
	quote = *xp->p++;
	while (xp->p < xp->end && *xp->p != quote)
	{
		if (*xp->p == '<')
			return fail(xp, S3XML_SYNTAX, "'<' in an attribute value");
		if (*xp->p == '&')
		{
			if (!parse_reference(xp, 0))
				return 0;
		}
		else
		{
			uint32_t	cp;
			size_t		n = decode_char(xp->p, xp->end, &cp);

			if (n == 0)
				return fail(xp, S3XML_SYNTAX, "invalid character or UTF-8 sequence");
			xp->p += n;
		}
	}
	if (xp->p >= xp->end)
		return fail(xp, S3XML_SYNTAX, "unterminated attribute value");
	xp->p++;
	return 1;
}

/*
 * A start tag at xp->p ('<' then a name): pushes the element and tells the
 * handler; an empty-element tag is also closed at once.
 */
static int
parse_start_tag(XmlParser *xp)
{
	const char *name;
	size_t		len;
	const char *attr_names[MAX_ATTRIBUTES];
	size_t		attr_lens[MAX_ATTRIBUTES];
	int			nattrs = 0;
	int			empty = 0;

	xp->p++;					/* '<' */
	if (!parse_name(xp, &name, &len))
		return 0;
	for (;;)
	{
		int			had_space = xp->p < xp->end && is_space((unsigned char) *xp->p);
		const char *aname;
		size_t		alen;
		int			i;

		skip_space(xp);
		if (xp->p >= xp->end)
			return fail(xp, S3XML_SYNTAX, "unterminated start tag");
		if (*xp->p == '>')
		{
			xp->p++;
			break;
		}
		if (starts_with(xp, "/>"))
		{
			xp->p += 2;
			empty = 1;
			break;
		}
		if (!had_space)
			return fail(xp, S3XML_SYNTAX, "white space expected before an attribute");
		if (!parse_name(xp, &aname, &alen))
			return 0;
		for (i = 0; i < nattrs; i++)
			if (attr_lens[i] == alen && memcmp(attr_names[i], aname, alen) == 0)
				return fail(xp, S3XML_SYNTAX, "duplicate attribute");
		if (nattrs == MAX_ATTRIBUTES)
			return fail(xp, S3XML_SYNTAX, "too many attributes");
		attr_names[nattrs] = aname;
		attr_lens[nattrs] = alen;
		nattrs++;
		skip_space(xp);
		if (xp->p >= xp->end || *xp->p != '=')
			return fail(xp, S3XML_SYNTAX, "'=' expected after an attribute name");
		xp->p++;
		skip_space(xp);
		if (!parse_attribute_value(xp))
			return 0;
	}

	if (xp->depth == S3XML_MAX_DEPTH)
		return fail(xp, S3XML_SYNTAX, "elements nested too deeply");
	if (xp->depth > 0)
		xp->stack[xp->depth - 1].had_child = 1;
	xp->stack[xp->depth].name = name;
	xp->stack[xp->depth].namelen = len;
	xp->stack[xp->depth].had_child = 0;
	xp->depth++;
	xp->textlen = 0;
	if (xp->handler->on_start && !xp->handler->on_start(xp, xp->depth, name, len))
		return 0;
	if (empty)
	{
		xp->depth--;
		if (!xp->handler->on_end(xp, xp->depth + 1, name, len, 0, "", 0))
			return 0;
	}
	return 1;
}

/* An end tag at xp->p ("</"): must close the innermost open element. */
static int
parse_end_tag(XmlParser *xp)
{
	const char *name;
	size_t		len;
	XmlLevel   *top = &xp->stack[xp->depth - 1];
	int			ok;

	xp->p += 2;
	if (!parse_name(xp, &name, &len))
		return 0;
	if (len != top->namelen || memcmp(name, top->name, len) != 0)
		return fail(xp, S3XML_SYNTAX, "end tag does not match the start tag");
	skip_space(xp);
	if (xp->p >= xp->end || *xp->p != '>')
		return fail(xp, S3XML_SYNTAX, "'>' expected");
	xp->p++;
	if (!text_reserve(xp, 0))
		return 0;
	xp->text[xp->textlen] = '\0';
	ok = xp->handler->on_end(xp, xp->depth, name, len, top->had_child,
							 xp->text, xp->textlen);
	xp->depth--;
	xp->textlen = 0;
	return ok;
}

/* Run the parser over the whole document. */
static S3XmlStatus
parse_document(XmlParser *xp)
{
	if (!parse_xml_declaration(xp) || !parse_misc(xp))
		return xp->status;
	/* no DOCTYPE: no entity definitions, no expansion attacks */
	if (starts_with(xp, "<!DOCTYPE"))
		fail(xp, S3XML_SYNTAX, "DOCTYPE not allowed");
	else if (xp->p >= xp->end || *xp->p != '<')
		fail(xp, S3XML_SYNTAX, "root element expected");
	else
		(void) parse_start_tag(xp);
	if (xp->status != S3XML_OK)
		return xp->status;

	while (xp->depth > 0)
	{
		int			ok;

		if (xp->p >= xp->end)
			ok = fail(xp, S3XML_SYNTAX, "unexpected end of document");
		else if (*xp->p == '<')
		{
			if (starts_with(xp, "</"))
				ok = parse_end_tag(xp);
			else if (starts_with(xp, "<!--"))
				ok = parse_comment(xp);
			else if (starts_with(xp, "<![CDATA["))
			{
				const char *close;

				xp->p += 9;
				close = find(xp->p, xp->end, "]]>");
				if (close == NULL)
					ok = fail(xp, S3XML_SYNTAX, "unterminated CDATA section");
				else
				{
					ok = text_append_raw(xp, xp->p, (size_t) (close - xp->p));
					if (ok)
						xp->p = close + 3;
				}
			}
			else if (starts_with(xp, "<?"))
				ok = parse_pi(xp);
			else if (starts_with(xp, "<!"))
				ok = fail(xp, S3XML_SYNTAX, "markup declaration not allowed");
			else
				ok = parse_start_tag(xp);
		}
		else if (*xp->p == '&')
			ok = parse_reference(xp, 1);
		else
		{
			const char *s = xp->p;
			const char *stop = s;
			const char *bad;

			while (stop < xp->end && *stop != '<' && *stop != '&')
				stop++;
			bad = find(s, stop, "]]>");
			if (bad != NULL)
			{
				xp->p = bad;
				ok = fail(xp, S3XML_SYNTAX, "\"]]>\" in character data");
			}
			else
			{
				ok = text_append_raw(xp, s, (size_t) (stop - s));
				if (ok)
					xp->p = stop;
			}
		}
		if (!ok)
			return xp->status;
	}

	if (parse_misc(xp) && xp->p != xp->end)
		fail(xp, S3XML_SYNTAX, "content after the root element");
	return xp->status;
}

static S3XmlStatus
run_parser(const char *buf, size_t len, const S3XmlAllocator *allocator,
		   const XmlHandler *handler, void *state, char *errbuf, size_t errbuflen)
{
	XmlParser	xp;

	memset(&xp, 0, sizeof(xp));
	xp.start = xp.p = buf;
	xp.end = buf + len;
	xp.allocator = allocator;
	xp.handler = handler;
	xp.state = state;
	xp.status = S3XML_OK;
	xp.errbuf = errbuf;
	xp.errbuflen = errbuflen;
	if (errbuf != NULL && errbuflen > 0)
		errbuf[0] = '\0';
	if (buf == NULL && len > 0)
		return fail(&xp, S3XML_SYNTAX, "no document");
	return parse_document(&xp);
}

/* ---------------------------------------------------------------- schemas */

static int
name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

/* TEXT without leading and trailing XML white space. */
static void
trim(const char **text, size_t *len)
{
	while (*len > 0 && is_space((unsigned char) (*text)[0]))
	{
		(*text)++;
		(*len)--;
	}
	while (*len > 0 && is_space((unsigned char) (*text)[*len - 1]))
		(*len)--;
}

typedef struct ListingState
{
	S3XmlListing *out;
	size_t		capacity;
	int			in_contents;
	int			has_key;
	int			has_size;
	int			has_truncated;
	int			has_token;
	S3XmlObject current;
} ListingState;

static int
listing_start(XmlParser *xp, int depth, const char *name, size_t len)
{
	ListingState *st = xp->state;

	if (depth == 1 && !name_is(name, len, "ListBucketResult"))
		return fail(xp, S3XML_SCHEMA, "root element is not ListBucketResult");
	if (depth == 2 && name_is(name, len, "Contents"))
	{
		st->in_contents = 1;
		st->has_key = st->has_size = 0;
		st->current.key = NULL;
		st->current.size = 0;
	}
	return 1;
}

/* A non-negative decimal int64, with no sign, no spaces inside and no excess. */
static int
parse_int64(const char *text, size_t len, int64_t *out)
{
	int64_t		v = 0;
	size_t		i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
	{
		int			d;

		if (text[i] < '0' || text[i] > '9')
			return 0;
		d = text[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

static int
listing_end(XmlParser *xp, int depth, const char *name, size_t len,
			int had_child, const char *text, size_t textlen)
{
	ListingState *st = xp->state;
	S3XmlListing *out = st->out;

	if (depth == 3 && st->in_contents && name_is(name, len, "Key"))
	{
		if (had_child)
			return fail(xp, S3XML_SCHEMA, "Key has child elements");
		if (st->has_key)
			return fail(xp, S3XML_SCHEMA, "two Keys in one Contents");
		if (textlen == 0)
			return fail(xp, S3XML_SCHEMA, "empty Key");
		if (memchr(text, '\0', textlen) != NULL)
			return fail(xp, S3XML_SCHEMA, "NUL in Key");
		st->current.key = xml_strdup(xp, text, textlen);
		if (st->current.key == NULL)
			return 0;
		st->has_key = 1;
	}
	else if (depth == 3 && st->in_contents && name_is(name, len, "Size"))
	{
		if (had_child)
			return fail(xp, S3XML_SCHEMA, "Size has child elements");
		if (st->has_size)
			return fail(xp, S3XML_SCHEMA, "two Sizes in one Contents");
		trim(&text, &textlen);
		if (!parse_int64(text, textlen, &st->current.size))
			return fail(xp, S3XML_SCHEMA, "Size is not a non-negative 64-bit integer");
		st->has_size = 1;
	}
	else if (depth == 2 && name_is(name, len, "Contents"))
	{
		if (!st->has_key || !st->has_size)
			return fail(xp, S3XML_SCHEMA, "Contents without Key or Size");
		if (out->nobjects == st->capacity)
		{
			size_t		cap = st->capacity ? st->capacity * 2 : 64;
			S3XmlObject *grown;

			if (cap > SIZE_MAX / sizeof(S3XmlObject))
				return fail(xp, S3XML_NOMEM, "out of memory");
			grown = xml_alloc(xp, cap * sizeof(S3XmlObject));
			if (grown == NULL)
				return 0;
			if (out->nobjects > 0)
				memcpy(grown, out->objects, out->nobjects * sizeof(S3XmlObject));
			out->objects = grown;
			st->capacity = cap;
		}
		out->objects[out->nobjects++] = st->current;
		st->in_contents = 0;
	}
	else if (depth == 2 && name_is(name, len, "IsTruncated"))
	{
		if (had_child || st->has_truncated)
			return fail(xp, S3XML_SCHEMA, "bad IsTruncated");
		trim(&text, &textlen);
		if (name_is(text, textlen, "true"))
			out->is_truncated = 1;
		else if (name_is(text, textlen, "false"))
			out->is_truncated = 0;
		else
			return fail(xp, S3XML_SCHEMA, "IsTruncated is neither true nor false");
		st->has_truncated = 1;
	}
	else if (depth == 2 && name_is(name, len, "NextContinuationToken"))
	{
		if (had_child || st->has_token)
			return fail(xp, S3XML_SCHEMA, "bad NextContinuationToken");
		if (memchr(text, '\0', textlen) != NULL)
			return fail(xp, S3XML_SCHEMA, "NUL in NextContinuationToken");
		out->next_token = xml_strdup(xp, text, textlen);
		if (out->next_token == NULL)
			return 0;
		st->has_token = 1;
	}
	else if (depth == 1)
	{
		if (!st->has_truncated)
			return fail(xp, S3XML_SCHEMA, "listing without IsTruncated");
		if (out->is_truncated && (out->next_token == NULL || out->next_token[0] == '\0'))
			return fail(xp, S3XML_SCHEMA, "truncated listing without NextContinuationToken");
	}
	return 1;
}

static const XmlHandler listing_handler = {listing_start, listing_end};

S3XmlStatus
s3xml_parse_listing(const char *buf, size_t len, const S3XmlAllocator *allocator,
					S3XmlListing *out, char *errbuf, size_t errbuflen)
{
	ListingState st;

	memset(out, 0, sizeof(*out));
	memset(&st, 0, sizeof(st));
	st.out = out;
	return run_parser(buf, len, allocator, &listing_handler, &st, errbuf, errbuflen);
}

typedef struct ErrorState
{
	S3XmlError *out;
} ErrorState;

static int
error_start(XmlParser *xp, int depth, const char *name, size_t len)
{
	if (depth == 1 && !name_is(name, len, "Error"))
		return fail(xp, S3XML_SCHEMA, "root element is not Error");
	return 1;
}

static int
error_end(XmlParser *xp, int depth, const char *name, size_t len,
		  int had_child, const char *text, size_t textlen)
{
	ErrorState *st = xp->state;
	char	  **field = NULL;

	if (depth != 2)
		return 1;
	if (name_is(name, len, "Code"))
		field = &st->out->code;
	else if (name_is(name, len, "Message"))
		field = &st->out->message;
	else
		return 1;
	if (had_child || *field != NULL)
		return fail(xp, S3XML_SCHEMA, "bad %.*s", (int) len, name);
	if (memchr(text, '\0', textlen) != NULL)
		return fail(xp, S3XML_SCHEMA, "NUL in %.*s", (int) len, name);
	*field = xml_strdup(xp, text, textlen);
	return *field != NULL;
}

static const XmlHandler error_handler = {error_start, error_end};

S3XmlStatus
s3xml_parse_error(const char *buf, size_t len, const S3XmlAllocator *allocator,
				  S3XmlError *out, char *errbuf, size_t errbuflen)
{
	ErrorState	st;

	memset(out, 0, sizeof(*out));
	st.out = out;
	return run_parser(buf, len, allocator, &error_handler, &st, errbuf, errbuflen);
}

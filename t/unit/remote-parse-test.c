/*
 * Unit tests of what the S3 remote reads that does not need a network: the
 * XML reader of S3 answers (lib/remote/s3/xml.h), with real response samples, every
 * malformed case and the bounds, and the AWS credentials, region and
 * endpoint lookup (lib/remote/s3/awsconf.h), with temporary files and environment
 * variables for every precedence rule.  Prints TAP for prove through
 * t/t0120-remote-parse.t; argument "xml" or "awsconf" runs one section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote/s3/awsconf.h"
#include "error.h"
#include "util.h"
#include "remote/s3/xml.h"
#include "tap.h"

/* Every secret the tests write contains this; no message may. */
#define SECRET_MARK "SeCrEt"

/* Returns the parsed document of a NUL-terminated text, or NULL (with a diagnostic). */
static struct mlreg_xml *xml_ok(const char *text)
{
	struct mlreg_xml *doc;

	if (mlreg_xml_parse(&doc, text, strlen(text)) < 0) {
		diag("parse failed: %s", mlreg_error_message());
		return NULL;
	}
	return doc;
}

/* Returns 1 when len bytes of text are refused with a message holding part. */
static int xml_fails(const char *text, size_t len, const char *part)
{
	struct mlreg_xml *doc = (struct mlreg_xml *)1;
	const char *m;
	int rc = mlreg_xml_parse(&doc, text, len);

	m = mlreg_error_message();
	if (rc == MLREG_EINVALID && doc == NULL && !strncmp(m, "malformed XML at byte ", 22) &&
	    strstr(m, part))
		return 1;
	diag("rc %d, message: %s", rc, m);
	if (rc == 0)
		mlreg_xml_free(doc);
	return 0;
}

static const char list_page[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>ml-models</Name><Prefix>reg/</Prefix><KeyCount>4</KeyCount>"
	"<MaxKeys>4</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
	"<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</ContinuationToken>"
	"<NextContinuationToken>1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg=="
	"</NextContinuationToken>"
	"<StartAfter></StartAfter>"
	"<Contents><Key>reg/objects/9b/2cf535f27731c974343645a3985328</Key>"
	"<LastModified>2024-05-01T10:00:00.000Z</LastModified>"
	"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
	"<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><Size>434234</Size>"
	"<Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>"
	"<DisplayName>mtd</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>"
	"<Contents><Key>reg/a b%2F&amp;c &lt;d&gt; caf\xc3\xa9</Key>"
	"<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag><Size>0</Size></Contents>"
	"<Contents><Key>reg/ctl&#x1;x&#9;y&#13;</Key>"
	"<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag>"
	"<Size>1</Size></Contents>"
	"<Contents><Key> reg/spaces </Key><Size>2</Size></Contents>"
	"<CommonPrefixes><Prefix>reg/models/</Prefix></CommonPrefixes>"
	"<CommonPrefixes><Prefix>reg/tmp/</Prefix></CommonPrefixes>"
	"</ListBucketResult>";

static const char error_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<Error>\n"
	"  <Code>NoSuchKey</Code>\n"
	"  <Message>The specified key does not exist.</Message>\n"
	"  <Key>reg/objects/9b/2cf535f27731c974343645a3985328</Key>\n"
	"  <RequestId>4442587FB7D0A2F9</RequestId>\n"
	"  <HostId>eftixk72aD6Ap51TnqcoF8eFidJG9Z/2mkiDFu8yU9AS1ed4OpIszj7UDNEHGran</HostId>\n"
	"</Error>\n";

static const char initiate_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Bucket>ml-models</Bucket><Key>reg/objects/9b/2cf535f2</Key>"
	"<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
	"</InitiateMultipartUploadResult>";

static const char complete_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n"
	"<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Location>https://ml-models.s3.eu-west-1.amazonaws.com/reg%2Fobjects%2F9b</Location>"
	"<Bucket>ml-models</Bucket><Key>reg/objects/9b</Key>"
	"<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
	"</CompleteMultipartUploadResult>";

static const char parts_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListPartsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Bucket>ml-models</Bucket><Key>reg/objects/9b</Key><UploadId>XXBsb2FkIElE</UploadId>"
	"<Initiator><ID>arn:aws:iam::111122223333:user/some-user</ID></Initiator>"
	"<StorageClass>STANDARD</StorageClass><PartNumberMarker>1</PartNumberMarker>"
	"<NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</MaxParts>"
	"<IsTruncated>true</IsTruncated>"
	"<Part><PartNumber>2</PartNumber><LastModified>2010-11-10T20:48:34.000Z</LastModified>"
	"<ETag>\"7778aef83f66abc1fa1e8477f296d394\"</ETag><Size>10485760</Size></Part>"
	"<Part><PartNumber>3</PartNumber><ETag>\"aaaa18db4cc2f85cedef654fccc4a4x8\"</ETag>"
	"<Size>10485760</Size></Part></ListPartsResult>";

static const char uploads_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Bucket>ml-models</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
	"<NextKeyMarker>reg/b</NextKeyMarker><NextUploadIdMarker>QUJD</NextUploadIdMarker>"
	"<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
	"<Upload><Key>reg/a</Key><UploadId>QUFB</UploadId>"
	"<Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>"
	"<Upload><Key>reg/b</Key><UploadId>QUJD</UploadId>"
	"<Initiated>2010-11-10T20:49:33.000Z</Initiated></Upload>"
	"</ListMultipartUploadsResult>";

static void xml_samples(void)
{
	struct mlreg_xml *doc;
	mlreg_xml_node *r, *c;
	const char *keys[4];
	int count = 0;

	doc = xml_ok(list_page);
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_name(r), "ListBucketResult"), "ListObjectsV2: root element");
	ok(r && !strcmp(mlreg_xml_child_text(r, "IsTruncated"), "true") &&
	   !strcmp(mlreg_xml_child_text(r, "KeyCount"), "4"),
	   "ListObjectsV2: IsTruncated, KeyCount");
	ok(r && !strcmp(mlreg_xml_child_text(r, "NextContinuationToken"),
			"1w41l63U0xa8q7smH50vCxyTQqdxo69O3EmK28Bi5PcROI4wI/EyIJg=="),
	   "ListObjectsV2: NextContinuationToken");
	ok(r && !strcmp(mlreg_xml_child_text(r, "StartAfter"), ""),
	   "an empty element's text is \"\"");
	ok(r && mlreg_xml_child_text(r, "EncodingType") == NULL, "a missing child's text is NULL");
	for (c = mlreg_xml_child(r, "Contents"); c; c = mlreg_xml_next(c, "Contents"))
		if (count < 4)
			keys[count++] = mlreg_xml_child_text(c, "Key");
	ok(count == 4, "ListObjectsV2: four Contents");
	ok(count == 4 && !strcmp(keys[0], "reg/objects/9b/2cf535f27731c974343645a3985328"),
	   "ListObjectsV2: a plain key");
	ok(count == 4 && !strcmp(keys[1], "reg/a b%2F&c <d> caf\xc3\xa9"),
	   "ListObjectsV2: a key with '%', spaces, entities and UTF-8 is decoded");
	ok(count == 4 && !strcmp(keys[2], "reg/ctl\001x\ty\r"),
	   "ListObjectsV2: control characters as character references are decoded");
	ok(count == 4 && !strcmp(keys[3], " reg/spaces "),
	   "ListObjectsV2: spaces around a key are kept");
	c = mlreg_xml_child(r, "Contents");
	ok(c && !strcmp(mlreg_xml_child_text(c, "ETag"), "\"9b2cf535f27731c974343645a3985328\""),
	   "ListObjectsV2: ETag's &quot; quoting is decoded");
	ok(c && !strcmp(mlreg_xml_child_text(mlreg_xml_child(c, "Owner"), "DisplayName"), "mtd"),
	   "ListObjectsV2: nested Owner/DisplayName");
	c = mlreg_xml_next(c, "Contents");
	ok(c && !strcmp(mlreg_xml_child_text(c, "ETag"), "\"3858f62230ac3c915f300c664312c11f-9\""),
	   "ListObjectsV2: a multipart ETag");
	c = mlreg_xml_child(r, "CommonPrefixes");
	ok(c && !strcmp(mlreg_xml_child_text(c, "Prefix"), "reg/models/") &&
	   (c = mlreg_xml_next(c, "CommonPrefixes")) &&
	   !strcmp(mlreg_xml_child_text(c, "Prefix"), "reg/tmp/") &&
	   !mlreg_xml_next(c, "CommonPrefixes"), "ListObjectsV2: CommonPrefixes");
	c = mlreg_xml_child(r, NULL);
	ok(c && !strcmp(mlreg_xml_name(c), "Name") &&
	   !strcmp(mlreg_xml_name(mlreg_xml_next(c, NULL)), "Prefix"),
	   "a NULL name takes any element");
	mlreg_xml_free(doc);

	doc = xml_ok(error_doc);
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_name(r), "Error") &&
	   !strcmp(mlreg_xml_child_text(r, "Code"), "NoSuchKey") &&
	   !strcmp(mlreg_xml_child_text(r, "Message"), "The specified key does not exist.") &&
	   !strcmp(mlreg_xml_child_text(r, "Key"),
		   "reg/objects/9b/2cf535f27731c974343645a3985328") &&
	   !strcmp(mlreg_xml_child_text(r, "RequestId"), "4442587FB7D0A2F9"),
	   "Error: Code, Message, Key, RequestId");
	ok(r && !strcmp(mlreg_xml_text(r), "\n  \n  \n  \n  \n  \n"),
	   "the text of an element holding elements is the white space between them");
	mlreg_xml_free(doc);

	doc = xml_ok(initiate_doc);
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_name(r), "InitiateMultipartUploadResult") &&
	   !strcmp(mlreg_xml_child_text(r, "UploadId"),
		   "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"),
	   "InitiateMultipartUploadResult: UploadId");
	mlreg_xml_free(doc);

	doc = xml_ok(complete_doc);
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_child_text(r, "ETag"),
			"\"3858f62230ac3c915f300c664312c11f-9\"") &&
	   !strcmp(mlreg_xml_child_text(r, "Key"), "reg/objects/9b"),
	   "CompleteMultipartUploadResult: ETag, Key");
	mlreg_xml_free(doc);

	doc = xml_ok(parts_doc);
	r = mlreg_xml_root(doc);
	c = mlreg_xml_child(r, "Part");
	ok(c && !strcmp(mlreg_xml_child_text(c, "PartNumber"), "2") &&
	   !strcmp(mlreg_xml_child_text(mlreg_xml_next(c, "Part"), "PartNumber"), "3") &&
	   !strcmp(mlreg_xml_child_text(r, "NextPartNumberMarker"), "3"),
	   "ListPartsResult: parts and NextPartNumberMarker");
	mlreg_xml_free(doc);

	doc = xml_ok(uploads_doc);
	r = mlreg_xml_root(doc);
	c = mlreg_xml_child(r, "Upload");
	ok(c && !strcmp(mlreg_xml_child_text(c, "UploadId"), "QUFB") &&
	   !strcmp(mlreg_xml_child_text(r, "NextKeyMarker"), "reg/b") &&
	   !strcmp(mlreg_xml_child_text(r, "KeyMarker"), ""),
	   "ListMultipartUploadsResult: uploads and markers");
	mlreg_xml_free(doc);

	doc = xml_ok("<s3:Error xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		     "<s3:Code>AccessDenied</s3:Code></s3:Error>");
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_name(r), "Error") &&
	   !strcmp(mlreg_xml_child_text(r, "Code"), "AccessDenied"),
	   "namespace prefixes are removed from names");
	mlreg_xml_free(doc);
}

static void xml_syntax(void)
{
	struct mlreg_xml *doc;
	mlreg_xml_node *r;

	doc = xml_ok("\xef\xbb\xbf<?xml version='1.0' encoding='utf-8' standalone=\"yes\" ?>\n"
		     "<!-- a comment -->\n<?pi data?>\n<?empty?>"
		     "<a x='1>2' y = \"&lt;&amp;\" >x<!-- inside --><b/>y<![CDATA[<not>&amp;]]>z"
		     "<?pi inside?><c z=\"a\"\t/></a >\n<!-- after -->\n<?after?>\n");
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_name(r), "a"),
	   "BOM, declaration, comments, processing instructions, "
	   "attributes with '>' inside quotes");
	ok(r && !strcmp(mlreg_xml_text(r), "xy<not>&amp;z"),
	   "text and CDATA children are concatenated, CDATA undecoded");
	ok(r && mlreg_xml_child(r, "b") && !strcmp(mlreg_xml_text(mlreg_xml_child(r, "b")), "") &&
	   mlreg_xml_child(r, "c"), "self-closing tags, with attributes, are elements");
	mlreg_xml_free(doc);

	doc = xml_ok("<a>&#65;&#x42;&#x43;&#x00e9;&#x20AC;&#x10FFFF;&#128512;&apos;&quot;&gt;</a>");
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_text(r), "ABC\xc3\xa9\xe2\x82\xac\xf4\x8f\xbf\xbf"
			"\xf0\x9f\x98\x80'\">"),
	   "character references are encoded as UTF-8");
	mlreg_xml_free(doc);

	doc = xml_ok("<a>1\r\n2\r3<![CDATA[\r\n4]]>&#13;</a>");
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_text(r), "1\n2\n3\n4\r"), "line ends become LF, &#13; stays CR");
	mlreg_xml_free(doc);

	doc = xml_ok("<a>]] > ]]</a>");
	r = mlreg_xml_root(doc);
	ok(r && !strcmp(mlreg_xml_text(r), "]] > ]]"), "']' and '>' alone are text");
	mlreg_xml_free(doc);

	doc = xml_ok("<a><!----></a>");
	ok(doc != NULL, "an empty comment");
	mlreg_xml_free(doc);

	ok(mlreg_xml_root(NULL) == NULL && mlreg_xml_child(NULL, "a") == NULL &&
	   mlreg_xml_next(NULL, NULL) == NULL && mlreg_xml_text(NULL) == NULL &&
	   mlreg_xml_child_text(NULL, "a") == NULL && mlreg_xml_name(NULL) == NULL,
	   "NULL handles give NULL");
	mlreg_xml_free(NULL);
}

static void xml_malformed(void)
{
	static const struct {
		const char *text;
		const char *part;
		const char *what;
	} cases[] = {
		{ "", "no root element", "empty input" },
		{ " \n\t ", "no root element", "white space only" },
		{ "<!-- c -->", "no root element", "a comment only" },
		{ "<a>", "end of input inside '<a>'", "an unclosed root" },
		{ "<a><b></a>", "'</a>' does not close '<b>'", "a mismatched end tag" },
		{ "<a></b>", "byte 3: '</b>' does not close '<a>'",
		  "the message gives the byte offset" },
		{ "<a:b></a>", "does not close", "prefixes count when matching end tags" },
		{ "</a>", "closes no element", "an end tag first" },
		{ "<a></a></a>", "closes no element", "an extra end tag" },
		{ "x<a/>", "text outside the root element", "text before the root" },
		{ "<a/>x", "text outside the root element", "text after the root" },
		{ "<a/>&#32;", "text outside the root element", "a reference after the root" },
		{ "<a/><b/>", "a second root element", "two root elements" },
		{ "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
		  "document type declarations are refused",
		  "a DOCTYPE" },
		{ "<a><!ENTITY x \"y\"></a>", "entity declarations are refused",
		  "an ENTITY declaration" },
		{ "<a><!ELEMENT a ANY></a>", "unknown markup declaration", "another declaration" },
		{ "<a>&x;</a>", "unknown entity '&x;'", "an undefined entity" },
		{ "<a>R&D</a>", "'&' starts no entity", "a bare '&'" },
		{ "<a>&;</a>", "'&' starts no entity", "an empty entity name" },
		{ "<a>&amp</a>", "'&' starts no entity", "an entity without ';'" },
		{ "<a>&#0;</a>", "is not a character", "&#0;" },
		{ "<a>&#x0;</a>", "is not a character", "&#x0;" },
		{ "<a>&#xD800;</a>", "is not a character", "a surrogate reference" },
		{ "<a>&#xdfff;</a>", "is not a character", "a low surrogate reference" },
		{ "<a>&#x110000;</a>", "is not a character", "a reference above U+10FFFF" },
		{ "<a>&#99999999999999999999999;</a>", "is not a character",
		  "an overflowing reference" },
		{ "<a>&#;</a>", "malformed character reference", "a reference without digits" },
		{ "<a>&#x;</a>", "malformed character reference",
		  "a hex reference without digits" },
		{ "<a>&#12a;</a>", "malformed character reference", "a bad decimal digit" },
		{ "<a>&#X41;</a>", "malformed character reference", "an upper-case X" },
		{ "<a>&#65</a>", "malformed character reference", "a reference without ';'" },
		{ "<a>]]></a>", "']]>' in text", "']]>' in text" },
		{ "<a><!-- x", "unterminated comment", "an unterminated comment" },
		{ "<a><!-- a -- b --></a>", "'--' inside a comment", "'--' inside a comment" },
		{ "<a><!-- a ---></a>", "'--' inside a comment", "'--->' ends no comment" },
		{ "<a><![CDATA[x</a>", "unterminated CDATA section",
		  "an unterminated CDATA section" },
		{ "<![CDATA[x]]><a/>", "CDATA section outside the root element",
		  "CDATA before the root" },
		{ "<a><?pi x</a>", "unterminated processing instruction", "an unterminated PI" },
		{ "<a><?pi?x?></a>", "malformed processing instruction",
		  "a PI target run into its data" },
		{ "<a><?\?></a>", "does not start with a name", "a PI without a target" },
		{ " <?xml version=\"1.0\"?><a/>", "XML declaration not at the start",
		  "a late declaration" },
		{ "<a/><?xml version=\"1.0\"?>", "XML declaration not at the start",
		  "a declaration after the root" },
		{ "<?XML version=\"1.0\"?><a/>", "reserved processing instruction target",
		  "<?XML" },
		{ "<?xml encoding=\"UTF-8\"?><a/>", "without a version",
		  "a declaration without version" },
		{ "<?xml version=\"2.0\"?><a/>", "unsupported XML version", "version 2.0" },
		{ "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
		  "unsupported encoding 'ISO-8859-1'",
		  "another encoding" },
		{ "<?xml version=\"1.0\" foo=\"bar\"?><a/>", "unknown 'foo'",
		  "an unknown pseudo-attribute" },
		{ "<?xml version=\"1.0\"encoding=\"UTF-8\"?><a/>", "expected white space",
		  "no space in the declaration" },
		{ "<?xml version=\"1.0\"", "unterminated XML declaration",
		  "an unterminated declaration" },
		{ "<a x=\"<\"/>", "'<' in an attribute value", "'<' in an attribute value" },
		{ "<a x/>", "attribute 'x' has no value", "an attribute without a value" },
		{ "<a x=1/>", "attribute value is not quoted", "an unquoted attribute value" },
		{ "<a x=\"1\"y=\"2\"/>", "expected white space before an attribute",
		  "attributes run together" },
		{ "<a x=\"1/>", "unterminated attribute value", "an unterminated attribute value" },
		{ "<a x=\"&bogus;\"/>", "unknown entity", "an undefined entity in an attribute" },
		{ "<a", "unterminated tag '<a'", "an unterminated start tag" },
		{ "<a></a", "unterminated end tag", "an unterminated end tag" },
		{ "<a/ >", "'/' not followed by '>'", "a broken empty-element tag" },
		{ "< a/>", "a tag does not start with a name", "'<' followed by a space" },
		{ "<1a/>", "a tag does not start with a name", "a name starting with a digit" },
		{ "<a:/>", "malformed element name", "an empty local name" },
		{ "<:a/>", "malformed element name", "an empty prefix" },
		{ "<a>\xc3</a>", "invalid UTF-8", "a truncated UTF-8 sequence" },
		{ "<a>\xc0\xaf</a>", "invalid UTF-8", "an overlong UTF-8 sequence" },
		{ "<a>\xed\xa0\x80</a>", "invalid UTF-8", "an encoded surrogate" },
		{ "<a>\xf4\x90\x80\x80</a>", "invalid UTF-8", "UTF-8 above U+10FFFF" },
		{ "<a>\xff</a>", "invalid UTF-8", "a byte that is never UTF-8" },
	};
	char what[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "refused: %s", cases[i].what);
		ok(xml_fails(cases[i].text, strlen(cases[i].text), cases[i].part), what);
	}
	ok(xml_fails("<a>x\0y</a>", 10, "byte 4: NUL byte"), "refused: a NUL byte");
	ok(xml_fails("<a/>\0", 5, "NUL byte"), "refused: a NUL byte after the root");
}

static void xml_bounds(void)
{
	struct mlreg_xml *doc;
	mlreg_xml_node *e;
	char *buf;
	size_t i, len;
	int depth;

	/* 32 levels are read; 33 are not. */
	buf = xmalloc(33 * 7 + 1);
	for (len = 0, i = 0; i < 32; i++)
		len += (size_t)sprintf(buf + len, "<e>");
	for (i = 0; i < 32; i++)
		len += (size_t)sprintf(buf + len, "</e>");
	doc = xml_ok(buf);
	for (depth = 0, e = mlreg_xml_root(doc); e; e = mlreg_xml_child(e, "e"))
		depth++;
	ok(doc && depth == 32, "32 nested elements are read");
	mlreg_xml_free(doc);
	for (len = 0, i = 0; i < 33; i++)
		len += (size_t)sprintf(buf + len, "<e>");
	for (i = 0; i < 33; i++)
		len += (size_t)sprintf(buf + len, "</e>");
	ok(xml_fails(buf, len, "byte 96: elements nest deeper than 32 levels"),
	   "33 nested elements are refused");
	memcpy(buf + 96, "<e/>", 4);
	ok(xml_fails(buf, 100, "deeper than 32"), "an empty element at depth 33 is refused");
	free(buf);

	/* 2,000,000 elements are read; one more is not. */
	buf = xmalloc(3 + 4 * (size_t)MLREG_XML_MAX_ELEMENTS + 4 + 1);
	memcpy(buf, "<r>", 3);
	for (len = 3, i = 0; i < MLREG_XML_MAX_ELEMENTS - 1; i++, len += 4)
		memcpy(buf + len, "<e/>", 4);
	memcpy(buf + len, "</r>", 5);
	doc = xml_ok(buf);
	for (i = 0, e = mlreg_xml_child(mlreg_xml_root(doc), NULL); e; e = mlreg_xml_next(e, NULL))
		i++;
	ok(doc && i == MLREG_XML_MAX_ELEMENTS - 1, "2,000,000 elements are read");
	mlreg_xml_free(doc);
	memcpy(buf + len, "<e/></r>", 9);
	ok(xml_fails(buf, len + 8, "more than 2000000 elements"), "2,000,001 elements are refused");
	free(buf);
}

/* ---- awsconf ---- */

static char *dir;	/* scratch directory, the tests' HOME */

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
};

/* Returns a path in the scratch directory (static, one at a time). */
static const char *path_of(const char *name)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* Writes text to name in the scratch directory (NULL text: removes it). */
static void put(const char *name, const char *text)
{
	const char *p = path_of(name);
	FILE *f;

	if (!text) {
		unlink(p);
		return;
	}
	if (!(f = fopen(p, "w"))) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* Starts a test case: no AWS variable, HOME the scratch directory, no files. */
static void fresh(void)
{
	size_t i;

	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	setenv("HOME", dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);	/* no 1 s wait for 169.254.169.254 */
	put(".aws/credentials", NULL);
	put(".aws/config", NULL);
	put("creds", NULL);
	put("conf", NULL);
	mlreg_error_clear();
}

/* Returns 1 when rc is code and the message holds part but no secret. */
static int aws_fails(int rc, int code, const char *part)
{
	const char *m = mlreg_error_message();

	if (rc == code && strstr(m, part) && !strstr(m, SECRET_MARK))
		return 1;
	diag("rc %d, message: %s", rc, m);
	return 0;
}

/* Returns 1 when credentials for profile are found with the given fields (token NULL: none). */
static int creds_are(const char *profile, const char *id, const char *secret, const char *token,
		     const char *source)
{
	struct mlreg_aws_creds c;
	int rc = mlreg_aws_credentials(&c, profile), r;

	if (rc < 0) {
		diag("rc %d, message: %s", rc, mlreg_error_message());
		return 0;
	}
	r = !strcmp(c.access_key, id) && !strcmp(c.secret_key, secret) &&
	    (token ? c.session_token && !strcmp(c.session_token, token) : !c.session_token) &&
	    !strcmp(c.source, source);
	if (!r)
		diag("got '%s' '%s' '%s' from '%s'", c.access_key, c.secret_key,
		       c.session_token ? c.session_token : "(null)", c.source);
	mlreg_aws_creds_free(&c);
	return r;
}

/*
 * Returns the code of mlreg_aws_credentials(profile), freeing what it
 * found (1 when a failure left some).
 */
static int creds_rc(const char *profile)
{
	struct mlreg_aws_creds c;
	int rc = mlreg_aws_credentials(&c, profile);

	if (rc < 0 && (c.access_key || c.secret_key || c.session_token || c.source))
		rc = 1;
	mlreg_aws_creds_free(&c);
	return rc;
}

/* Returns the code of fn(profile), freeing what it found. */
static int lookup_rc(int (*fn)(char **, const char *), const char *profile)
{
	char *got = NULL;
	int rc = fn(&got, profile);

	if (rc < 0 && got)
		rc = 1;
	free(got);
	return rc;
}

/* Returns 1 when fn(profile) gives want (NULL: MLREG_ENOTFOUND). */
static int lookup_is(int (*fn)(char **, const char *), const char *profile, const char *want)
{
	char *got = NULL;
	int rc = fn(&got, profile), r;

	if (!want)
		r = rc == MLREG_ENOTFOUND && !got;
	else
		r = rc == 0 && got && !strcmp(got, want);
	if (!r)
		diag("rc %d, got '%s', message: %s", rc, got ? got : "(null)",
		       mlreg_error_message());
	free(got);
	return r;
}

static void aws_environment(void)
{
	char src[4200];

	fresh();
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt-env", 1);
	setenv("AWS_SESSION_TOKEN", "tok-env", 1);
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1, "dumpable before credentials are loaded");
	ok(creds_are(NULL, "AKIAENV", "SeCrEt-env", "tok-env", "environment"),
	   "credentials from the environment");
	ok(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
	   "not dumpable once credentials are loaded (no core, no ptrace)");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\n"
	    "aws_secret_access_key = SeCrEt-file\n[dev]\naws_access_key_id = AKIADEV\n"
	    "aws_secret_access_key = SeCrEt-dev\n");
	ok(creds_are(NULL, "AKIAENV", "SeCrEt-env", "tok-env", "environment"),
	   "the environment wins over the default profile");
	setenv("AWS_PROFILE", "dev", 1);
	ok(creds_are(NULL, "AKIAENV", "SeCrEt-env", "tok-env", "environment"),
	   "the environment wins over $AWS_PROFILE");
	snprintf(src, sizeof(src), "profile 'dev' in %s/.aws/credentials", dir);
	ok(creds_are("dev", "AKIADEV", "SeCrEt-dev", NULL, src),
	   "an explicit profile takes the environment out of the chain");
	unsetenv("AWS_SESSION_TOKEN");
	setenv("AWS_SECURITY_TOKEN", "tok-old", 1);
	ok(creds_are(NULL, "AKIAENV", "SeCrEt-env", "tok-old", "environment"),
	   "AWS_SECURITY_TOKEN is read when AWS_SESSION_TOKEN is unset");
	unsetenv("AWS_SECURITY_TOKEN");
	ok(creds_are(NULL, "AKIAENV", "SeCrEt-env", NULL, "environment"),
	   "no session token in the environment");

	unsetenv("AWS_SECRET_ACCESS_KEY");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID,
		     "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
	   "only AWS_ACCESS_KEY_ID is an error naming the secret");
	ok(creds_are("dev", "AKIADEV", "SeCrEt-dev", NULL, src),
	   "an explicit profile ignores a partial environment");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt-env", 1);
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID,
		     "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"),
	   "only AWS_SECRET_ACCESS_KEY is an error naming the key id");
	setenv("AWS_ACCESS_KEY_ID", "", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	ok(creds_are(NULL, "AKIADEV", "SeCrEt-dev", NULL, src),
	   "empty variables are unset ones ($AWS_PROFILE then)");
}

static void aws_profiles(void)
{
	char src[4200];

	fresh();
	put(".aws/credentials", "[default]\naws_access_key_id = AKIADEF\n"
	    "aws_secret_access_key = SeCrEt-def\naws_session_token = tok-def\n"
	    "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = SeCrEt-dev\n"
	    "[other]\naws_access_key_id = AKIAOTH\naws_secret_access_key = SeCrEt-oth\n");
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/credentials", dir);
	ok(creds_are(NULL, "AKIADEF", "SeCrEt-def", "tok-def", src),
	   "profile 'default' of ~/.aws/credentials, with a session token");
	setenv("AWS_DEFAULT_PROFILE", "dev", 1);
	snprintf(src, sizeof(src), "profile 'dev' in %s/.aws/credentials", dir);
	ok(creds_are(NULL, "AKIADEV", "SeCrEt-dev", NULL, src),
	   "$AWS_DEFAULT_PROFILE names the profile");
	setenv("AWS_PROFILE", "other", 1);
	snprintf(src, sizeof(src), "profile 'other' in %s/.aws/credentials", dir);
	ok(creds_are(NULL, "AKIAOTH", "SeCrEt-oth", NULL, src),
	   "$AWS_PROFILE wins over $AWS_DEFAULT_PROFILE");
	snprintf(src, sizeof(src), "profile 'dev' in %s/.aws/credentials", dir);
	ok(creds_are("dev", "AKIADEV", "SeCrEt-dev", NULL, src),
	   "an explicit profile wins over $AWS_PROFILE");
	ok(aws_fails(creds_rc("nope"), MLREG_EINVALID, "AWS profile 'nope' not found in '"),
	   "an explicit profile that exists nowhere is an error");
	unsetenv("AWS_DEFAULT_PROFILE");
	setenv("AWS_PROFILE", "nope", 1);
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "AWS profile 'nope' not found"),
	   "so is a missing $AWS_PROFILE");

	/* The config file, after the credentials file. */
	fresh();
	put(".aws/credentials", "[dev]\naws_access_key_id = AKIACRED\n"
	    "aws_secret_access_key = SeCrEt-cred\n");
	put(".aws/config", "[default]\naws_access_key_id = AKIACFGDEF\n"
	    "aws_secret_access_key = SeCrEt-cd\n"
	    "[profile dev]\naws_access_key_id = AKIACFGDEV\naws_secret_access_key = SeCrEt-cfg\n"
	    "[profile  spaced ]\naws_access_key_id = AKIASP\naws_secret_access_key = SeCrEt-sp\n"
	    "[only]\naws_access_key_id = AKIAONLY\naws_secret_access_key = SeCrEt-only\n");
	snprintf(src, sizeof(src), "profile 'dev' in %s/.aws/credentials", dir);
	ok(creds_are("dev", "AKIACRED", "SeCrEt-cred", NULL, src),
	   "the credentials file wins over the config file");
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/config", dir);
	ok(creds_are(NULL, "AKIACFGDEF", "SeCrEt-cd", NULL, src), "[default] of the config file");
	snprintf(src, sizeof(src), "profile 'spaced' in %s/.aws/config", dir);
	ok(creds_are("spaced", "AKIASP", "SeCrEt-sp", NULL, src),
	   "'[profile  spaced ]' is profile 'spaced'");
	ok(aws_fails(creds_rc("only"), MLREG_EINVALID, "AWS profile 'only' not found"),
	   "a config section without 'profile ' is no profile");
	put(".aws/credentials", NULL);
	snprintf(src, sizeof(src), "profile 'dev' in %s/.aws/config", dir);
	ok(creds_are("dev", "AKIACFGDEV", "SeCrEt-cfg", NULL, src),
	   "[profile dev] of the config file");
	put(".aws/config", "[profile default]\naws_access_key_id = AKIAPD\n"
	    "aws_secret_access_key = SeCrEt-pd\n");
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/config", dir);
	ok(creds_are(NULL, "AKIAPD", "SeCrEt-pd", NULL, src),
	   "[profile default] of the config file");
	put(".aws/config", "[default]\nregion = eu-west-1\n");
	put(".aws/credentials", "[ default ]\naws_access_key_id = AKIATRIM\n"
	    "aws_secret_access_key = SeCrEt-trim\n");
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/credentials", dir);
	ok(creds_are(NULL, "AKIATRIM", "SeCrEt-trim", NULL, src), "'[ default ]' is trimmed");

	/* Other files, or none. */
	fresh();
	put("creds", "[default]\naws_access_key_id = AKIAVAR\n"
	    "aws_secret_access_key = SeCrEt-var\n");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIAHOME\n"
	    "aws_secret_access_key = SeCrEt-h\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("creds"), 1);
	snprintf(src, sizeof(src), "profile 'default' in %s/creds", dir);
	ok(creds_are(NULL, "AKIAVAR", "SeCrEt-var", NULL, src), "$AWS_SHARED_CREDENTIALS_FILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/creds", 1);
	ok(creds_are(NULL, "AKIAVAR", "SeCrEt-var", NULL, src),
	   "a leading ~ in the variable is $HOME");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("missing"), 1);
	put("conf", "[profile dev]\naws_access_key_id = AKIACONF\n"
	    "aws_secret_access_key = SeCrEt-c\n");
	setenv("AWS_CONFIG_FILE", path_of("conf"), 1);
	snprintf(src, sizeof(src), "profile 'dev' in %s/conf", dir);
	ok(creds_are("dev", "AKIACONF", "SeCrEt-c", NULL, src),
	   "$AWS_CONFIG_FILE, and a missing credentials file is no error");
	unsetenv("AWS_CONFIG_FILE");
	ok(aws_fails(creds_rc(NULL), MLREG_ENOTFOUND,
		     "no AWS credentials: set AWS_ACCESS_KEY_ID and "
		     "AWS_SECRET_ACCESS_KEY, or configure profile 'default' in '"),
	   "no credentials anywhere: the message says where to put them");
	ok(strstr(mlreg_error_message(), "/missing'") &&
	   strstr(mlreg_error_message(), "/.aws/config'"),
	   "and names the files it read");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of(".aws"), 1);
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "Is a directory"), "a directory is an error");

	fresh();
	put(".aws/credentials", "[default]\naws_access_key_id = AKIAHOME\n"
	    "aws_secret_access_key = SeCrEt-h\n");
	unsetenv("HOME");
	ok(aws_fails(creds_rc(NULL), MLREG_ENOTFOUND, "~/.aws/credentials (HOME is not set) or "
		     "~/.aws/config (HOME is not set)"), "HOME unset: the ~ files are skipped");
	ok(aws_fails(creds_rc("dev"), MLREG_EINVALID, "HOME is not set"),
	   "HOME unset: a named profile is not found");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/x", 1);
	ok(aws_fails(creds_rc(NULL), MLREG_ENOTFOUND, "HOME is not set"),
	   "HOME unset: '~/x' is skipped");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of(".aws/credentials"), 1);
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/credentials", dir);
	ok(creds_are(NULL, "AKIAHOME", "SeCrEt-h", NULL, src), "HOME unset: a named file is read");
	setenv("HOME", dir, 1);
}

static void aws_partial(void)
{
	fresh();
	put(".aws/credentials", "[default]\nregion = x\naws_access_key_id = AKIA\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "profile 'default' in '"),
	   "a key id without a secret is an error");
	ok(strstr(mlreg_error_message(), "sets aws_access_key_id at line 3 but not "
		  "aws_secret_access_key") != NULL, "naming the missing secret");
	put(".aws/credentials", "[default]\naws_secret_access_key = SeCrEt-alone\n");
	put(".aws/config", "[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt-c\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "sets aws_secret_access_key at line 2 but not "
		     "aws_access_key_id"), "a secret without a key id is an error, config or not");
	put(".aws/credentials", "[default]\naws_access_key_id =\n"
	    "aws_secret_access_key = SeCrEt-e\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "aws_access_key_id at line 2 is empty"),
	   "an empty key id is an error");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\naws_secret_access_key =\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "aws_secret_access_key at line 3 is empty"),
	   "an empty secret is an error");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt\n"
	    "aws_session_token =\n");
	ok(creds_rc(NULL) == 0, "an empty session token is none");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt-s\n"
	    "aws_security_token = tok-legacy\n");
	{
		char src[4200];
		snprintf(src, sizeof(src), "profile 'default' in %s/.aws/credentials", dir);
		ok(creds_are(NULL, "AKIA", "SeCrEt-s", "tok-legacy", src),
		   "aws_security_token is read");
	}
	put(".aws/credentials", "[dev]\nregion = x\n");
	put(".aws/config", "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
	    "credential_source = Ec2InstanceMetadata\n");
	ok(aws_fails(creds_rc("dev"), MLREG_ENOTFOUND, "no AWS credentials in profile 'dev': no "
		     "aws_access_key_id in '"), "a profile without keys: not found");
	ok(strstr(mlreg_error_message(), "credential_source is not supported") != NULL,
	   "naming the unsupported way it gives");
	put(".aws/config", "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
	    "source_profile = default\n");
	ok(aws_fails(creds_rc("dev"), MLREG_EINVALID, "profile 'dev': source_profile 'default': "
		     "AWS profile 'default' not found"), "role_arn: the source profile must exist");
}

static void aws_syntax(void)
{
	char src[4200], *big;
	size_t i;

	fresh();
	snprintf(src, sizeof(src), "profile 'default' in %s/.aws/credentials", dir);
	put(".aws/credentials", "[default]\r\naws_access_key_id = AKIACRLF\r\n"
	    "aws_secret_access_key = SeCrEt-crlf\r\n");
	ok(creds_are(NULL, "AKIACRLF", "SeCrEt-crlf", NULL, src), "CR LF line ends");
	put(".aws/credentials", "[default]\raws_access_key_id = AKIACR\r"
	    "aws_secret_access_key = SeCrEt-cr");
	ok(creds_are(NULL, "AKIACR", "SeCrEt-cr", NULL, src), "CR line ends, no final line end");
	put(".aws/credentials", "# comment\n; comment\n\n  # indented comment\n[other]\nx=1\n\n"
	    "[default]\n# aws_access_key_id = AKIANO\nAWS_ACCESS_KEY_ID=AKIAUP\n\n"
	    "\t; another\nAws_Secret_Access_Key :SeCrEt-colon\n[last]\ny = 2\n");
	ok(creds_are(NULL, "AKIAUP", "SeCrEt-colon", NULL, src),
	   "comments, blank lines, 'key=value', 'key :value', key names in any case");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\naws_secret_access_key = "
	    "SeCrEt # not a comment\n");
	ok(creds_are(NULL, "AKIA", "SeCrEt # not a comment", NULL, src),
	   "'#' after a value is part of it, as in botocore");

	put(".aws/credentials", "aws_access_key_id = AKIA\n[default]\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "malformed AWS credentials file '"),
	   "a key outside any section");
	ok(strstr(mlreg_error_message(),
		  "/.aws/credentials' at line 1: a key outside any section") != NULL,
	   "is an error naming the file and the line");
	put(".aws/credentials", "\nSeCrEtPastedAlone\n[default]\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 2: a line outside any section"),
	   "a pasted line outside any section is not quoted");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\nSeCrEtWithoutEquals\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 3: not a 'key = value' line"),
	   "a line without '=' is an error, not quoted");
	put(".aws/credentials", "[default]\n= SeCrEt\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 2: a value without a key"),
	   "a value without a key");
	put(".aws/credentials", "[default\naws_access_key_id = AKIA\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 1: a section header without ']'"),
	   "an unterminated section header");
	put(".aws/credentials", "[ ]\nx = 1\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 1: an empty section name"),
	   "an empty section name");
	put(".aws/credentials", "[other]\nSeCrEt\n[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 2: not a 'key = value' line"),
	   "an error in another section fails the file, as in botocore");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt-1\n"
	    "aws_secret_access_key = SeCrEt-2\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 4: 'aws_secret_access_key' repeats "
		     "line 3 in section '[default]'"), "a repeated key");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\n[x]\n[default]\n"
	    "aws_secret_access_key = SeCrEt\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID,
		     "at line 4: section '[default]' repeats line 1"),
	   "a repeated section");
	put(".aws/credentials", "[default]\naws_access_key_id = AKIA\n"
	    "aws_secret_access_key = SeCrEt-a\n"
	    "  SeCrEt-continued\n");
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID,
		     "at line 3: 'aws_secret_access_key' spans several "
		     "lines"), "a value continued on an indented line is refused for a key");
	{
		FILE *f = fopen(path_of(".aws/credentials"), "w");
		fwrite("[default]\naws_access_key_id = AK\0IA\n", 1, 36, f);
		fclose(f);
	}
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "at line 2: a NUL byte"), "a NUL byte");
	big = xmalloc(MLREG_AWSCONF_MAX_FILE + 100);
	strcpy(big, "[default]\n");
	for (i = strlen(big); i < MLREG_AWSCONF_MAX_FILE + 10; i++)
		big[i] = i % 64 == 63 ? '\n' : '#';
	big[i] = '\0';
	put(".aws/credentials", big);
	free(big);
	ok(aws_fails(creds_rc(NULL), MLREG_EINVALID, "too large"), "a file over 1 MiB is refused");

	/* Nested sections. */
	fresh();
	put(".aws/config", "[profile dev]\nregion = eu-west-1 # kept\ns3 =\n"
	    "  addressing_style = path\n\n  # a comment\n  endpoint_url = http://localhost:9000\n"
	    "output = json\n");
	ok(lookup_is(mlreg_aws_endpoint, "dev", "http://localhost:9000"),
	   "an 's3 =' nested section, with a blank line and a comment in it");
	ok(lookup_is(mlreg_aws_region, "dev", "eu-west-1 # kept"),
	   "keys after it are read (an inline '#' is kept)");
	put(".aws/config", "[profile dev]\ns3 =\n  endpoint_url = http://x\n  SeCrEtNoEquals\n");
	ok(aws_fails(lookup_rc(mlreg_aws_region, "dev"), MLREG_EINVALID,
		     "AWS config file '"), "a nested line without '=' is an error");
	ok(strstr(mlreg_error_message(),
		  "at line 4: a line of a nested section without '='") != NULL,
	   "naming its line");
	put(".aws/config", "[profile dev]\nregion =\n  name = eu-west-1\n");
	ok(aws_fails(lookup_rc(mlreg_aws_region, "dev"), MLREG_EINVALID,
		     "'region' spans several lines"), "a nested value where a value is wanted");
}

static void aws_region(void)
{
	fresh();
	ok(lookup_is(mlreg_aws_region, NULL, NULL) &&
	   strstr(mlreg_error_message(), "no AWS region: set AWS_REGION, or 'region' in profile "
		  "'default' in '"), "no region anywhere");
	put(".aws/config", "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-central-1\n"
	    "[profile empty]\nregion =\n");
	ok(lookup_is(mlreg_aws_region, NULL, "us-east-1"), "the default profile's region");
	ok(lookup_is(mlreg_aws_region, "dev", "eu-central-1"), "an explicit profile's region");
	ok(lookup_is(mlreg_aws_region, "empty", NULL), "an empty region is none");
	ok(lookup_is(mlreg_aws_region, "nope", NULL), "a missing profile has no region");
	setenv("AWS_PROFILE", "dev", 1);
	ok(lookup_is(mlreg_aws_region, NULL, "eu-central-1"), "$AWS_PROFILE's region");
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	ok(lookup_is(mlreg_aws_region, "dev", "ap-south-1"),
	   "$AWS_DEFAULT_REGION wins over the file");
	setenv("AWS_REGION", "sa-east-1", 1);
	ok(lookup_is(mlreg_aws_region, "dev", "sa-east-1"),
	   "$AWS_REGION wins over $AWS_DEFAULT_REGION");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	put("conf", "[profile dev]\nregion = ca-central-1\n");
	setenv("AWS_CONFIG_FILE", path_of("conf"), 1);
	ok(lookup_is(mlreg_aws_region, NULL, "ca-central-1"), "$AWS_CONFIG_FILE");
	unsetenv("AWS_CONFIG_FILE");
	unsetenv("HOME");
	ok(lookup_is(mlreg_aws_region, NULL, NULL) &&
	   strstr(mlreg_error_message(), "~/.aws/config (HOME is not set)"),
	   "HOME unset: no region");
	setenv("HOME", dir, 1);
	put(".aws/config", "[profile dev]\nregion = a\nregion = b\n");
	ok(aws_fails(lookup_rc(mlreg_aws_region, "dev"), MLREG_EINVALID,
		     "at line 3: 'region' repeats line 2 in section '[profile dev]'"),
	   "a repeated region is an error");
}

static void aws_endpoint(void)
{
	fresh();
	ok(lookup_is(mlreg_aws_endpoint, NULL, NULL) &&
	   strstr(mlreg_error_message(), "no S3 endpoint configured"), "no endpoint anywhere");
	put(".aws/config", "[default]\nendpoint_url = http://global:9000\n"
	    "[profile nested]\nendpoint_url = http://global:9000\ns3 =\n"
	    "  endpoint_url = http://nested:9000\n"
	    "[profile svc]\nservices = local\nendpoint_url = http://global:9000\n"
	    "s3 =\n  endpoint_url = http://nested:9000\n"
	    "[services local]\ns3 =\n  endpoint_url = http://services:9000\n"
	    "[profile other]\ns3 =\n  addressing_style = path\nendpoint_url = http://other\n"
	    "[profile ign]\nendpoint_url = http://ign\nignore_configured_endpoint_urls = TRUE\n");
	ok(lookup_is(mlreg_aws_endpoint, NULL, "http://global:9000"), "a profile's endpoint_url");
	ok(lookup_is(mlreg_aws_endpoint, "nested", "http://nested:9000"),
	   "an 's3' nested endpoint_url wins over the profile's");
	ok(lookup_is(mlreg_aws_endpoint, "svc", "http://services:9000"),
	   "the services section's s3 endpoint_url wins over both");
	ok(lookup_is(mlreg_aws_endpoint, "other", "http://other"),
	   "an 's3' nested section without endpoint_url");
	ok(lookup_is(mlreg_aws_endpoint, "ign", NULL) &&
	   strstr(mlreg_error_message(), "ignore_configured_endpoint_urls"),
	   "a profile's ignore_configured_endpoint_urls");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	ok(lookup_is(mlreg_aws_endpoint, "ign", "http://ign"),
	   "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false wins over the profile");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	setenv("AWS_ENDPOINT_URL", "http://env", 1);
	ok(lookup_is(mlreg_aws_endpoint, "svc", "http://env"),
	   "$AWS_ENDPOINT_URL wins over the file");
	setenv("AWS_ENDPOINT_URL_S3", "http://env-s3", 1);
	ok(lookup_is(mlreg_aws_endpoint, "svc", "http://env-s3"),
	   "$AWS_ENDPOINT_URL_S3 wins over $AWS_ENDPOINT_URL");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	ok(lookup_is(mlreg_aws_endpoint, "svc", NULL) &&
	   strstr(mlreg_error_message(), "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"),
	   "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true ignores them all");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_ENDPOINT_URL");
	setenv("AWS_PROFILE", "nested", 1);
	ok(lookup_is(mlreg_aws_endpoint, NULL, "http://nested:9000"), "$AWS_PROFILE's endpoint");
	unsetenv("HOME");
	unsetenv("AWS_PROFILE");
	ok(lookup_is(mlreg_aws_endpoint, NULL, NULL), "HOME unset: no endpoint");
	setenv("HOME", dir, 1);
}

static void aws_free(void)
{
	struct mlreg_aws_creds c;

	fresh();
	setenv("AWS_ACCESS_KEY_ID", "AKIA", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SeCrEt", 1);
	setenv("AWS_SESSION_TOKEN", "tok", 1);
	ok(mlreg_aws_credentials(&c, NULL) == 0, "credentials to free");
	mlreg_aws_creds_free(&c);
	ok(!c.access_key && !c.secret_key && !c.session_token && !c.source,
	   "mlreg_aws_creds_free leaves the structure empty");
	mlreg_aws_creds_free(&c);
	mlreg_aws_creds_free(NULL);
	fresh();
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/mlreg-remote-parse-XXXXXX";
	int all = argc < 2;

	if (all || !strcmp(argv[1], "xml")) {
		xml_samples();
		xml_syntax();
		xml_malformed();
		xml_bounds();
	}
	if (all || !strcmp(argv[1], "awsconf")) {
		char *p;

		if (!(dir = mkdtemp(tmpl))) {
			perror("mkdtemp");
			return 2;
		}
		p = xasprintf("%s/.aws", dir);
		mkdir(p, 0700);
		free(p);
		aws_environment();
		aws_profiles();
		aws_partial();
		aws_syntax();
		aws_region();
		aws_endpoint();
		aws_free();
		p = xasprintf("%s/.aws", dir);
		rmdir(p);
		free(p);
		rmdir(dir);
	}
	return done();
}

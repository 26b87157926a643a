#!/usr/bin/env python3
"""Writes examples/cs-2025-05-13.rss.xml, the bundled example day, in arXiv's RSS 2.0 shape.

Source: day 2025-05-13 of tests/data/daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl
(arXiv metadata, CC0; the scrapy crawl of linyueqian/daily-arXiv-ai-enhanced). The pool holds
new submissions and cross-lists only; an entry is marked `new` when its primary (first)
category is cs.LG or cs.AI, the feed it is listed under, and `cross` otherwise. Labels are
left out: the example is a listing, not an answer key.
"""
import json
import pathlib
from xml.sax.saxutils import escape

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "tests/data/daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl"
OUT = ROOT / "examples/cs-2025-05-13.rss.xml"
DAY = "2025-05-13"
PUB = "Tue, 13 May 2025 00:00:00 -0400"

items = []
for line in SRC.read_text(encoding="utf-8").splitlines():
    p = json.loads(line)
    if p["date"] != DAY:
        continue
    kind = "new" if p["categories"][0] in ("cs.LG", "cs.AI") else "cross"
    cats = "".join(f"\n      <category>{escape(c)}</category>" for c in p["categories"])
    items.append(f"""    <item>
      <title>{escape(p["title"])}</title>
      <link>https://arxiv.org/abs/{p["id"]}</link>
      <description>arXiv:{p["id"]}v1 Announce Type: {kind} 
Abstract: {escape(p["abstract"])}</description>
      <guid isPermaLink="false">oai:arXiv.org:{p["id"]}v1</guid>{cats}
      <pubDate>{PUB}</pubDate>
      <arxiv:announce_type>{kind}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/publicdomain/zero/1.0/</dc:rights>
      <dc:creator>{escape(", ".join(p["authors"]))}</dc:creator>
    </item>""")

OUT.parent.mkdir(exist_ok=True)
OUT.write_text(f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>cs.LG, cs.AI updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG+cs.AI</link>
    <description>cs.LG, cs.AI updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/cs.LG+cs.AI" rel="self" type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>{PUB}</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{PUB}</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>
{chr(10).join(items)}
  </channel>
</rss>
""", encoding="utf-8")
print(f"{OUT.relative_to(ROOT)}: {len(items)} items")

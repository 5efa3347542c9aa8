//! EPUB (2 and 3): a zip whose `META-INF/container.xml` names the package (OPF); its spine lists
//! the XHTML files in reading order, its table of contents (the EPUB 2 NCX or the EPUB 3 nav
//! document) their titles. A spine file the table names starts a chapter; one it does not name
//! continues the chapter before, unless it opens with a heading of its own. Encrypted (DRM)
//! books are refused, and so are archives that would unpack to too much.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::archive::{self, Archive, malformed};
use crate::text::clean;
use crate::xml::{reference, squeeze};
use crate::{Book, BookError, Chapter};

pub(crate) fn read(bytes: &[u8]) -> Result<Book, BookError> {
    let mut zip = archive::open(bytes, "an EPUB")?;
    if let Ok(encryption) = file(&mut zip, "META-INF/encryption.xml")
        && encryption.contains("EncryptedData")
    {
        return Err(malformed("it is encrypted (DRM)"));
    }
    let container = file(&mut zip, "META-INF/container.xml")?;
    let opf_path = first_attr(&container, b"rootfile", b"full-path").ok_or_else(|| malformed("no package named"))?;
    let opf = file(&mut zip, &opf_path)?;
    let base = opf_path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let package = Package::parse(&opf, base)?;

    let mut titles: HashMap<String, String> = HashMap::new();
    if let Some(nav) = &package.nav {
        let doc = file(&mut zip, nav)?;
        toc_of_nav(&doc, dir_of(nav), &mut titles);
    }
    if titles.is_empty()
        && let Some(ncx) = &package.ncx
    {
        let doc = file(&mut zip, ncx)?;
        toc_of_ncx(&doc, dir_of(ncx), &mut titles);
    }

    let mut chapters: Vec<Chapter> = Vec::new();
    for path in &package.spine {
        let Ok(xhtml) = file(&mut zip, path) else { continue };
        let page = Page::read(&xhtml);
        if page.paragraphs.is_empty() {
            continue;
        }
        let title = titles.get(path).cloned().or(page.heading);
        match (title, chapters.last_mut()) {
            (None, Some(chapter)) => chapter.paragraphs.extend(page.paragraphs),
            (title, _) => chapters.push(Chapter {
                title: title.unwrap_or_default(),
                paragraphs: page.paragraphs,
            }),
        }
    }
    Ok(Book {
        title: package.title,
        chapters,
    })
}

fn file(zip: &mut Archive<'_>, path: &str) -> Result<String, BookError> {
    let bytes = archive::named(zip, path)?;
    Ok(clean(&crate::text::decode_with(&bytes, None)))
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `href` (relative to `dir`, maybe with a fragment and %-escapes) as a path in the zip.
fn resolve(dir: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or_default();
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let decoded = percent_decode(href);
    for part in decoded.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The value of attribute `name` of the first element `element` in `xml`.
fn first_attr(xml: &str, element: &[u8], name: &[u8]) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == element => return attr(&e, name),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// What the package document says: the reading order, where the tables of contents are, the title.
struct Package {
    spine: Vec<String>,
    nav: Option<String>,
    ncx: Option<String>,
    title: Option<String>,
}

impl Package {
    fn parse(opf: &str, base: &str) -> Result<Package, BookError> {
        let mut reader = Reader::from_str(opf);
        let mut manifest: HashMap<String, (String, String)> = HashMap::new();
        let mut idrefs = Vec::new();
        let (mut nav, mut toc_id, mut title, mut in_title) = (None, None, None::<String>, false);
        loop {
            match reader.read_event().map_err(|e| malformed(format!("package: {e}")))? {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    b"item" => {
                        let (Some(id), Some(href)) = (attr(&e, b"id"), attr(&e, b"href")) else {
                            continue;
                        };
                        let path = resolve(base, &href);
                        if attr(&e, b"properties").is_some_and(|p| p.split_whitespace().any(|p| p == "nav")) {
                            nav = Some(path.clone());
                        }
                        manifest.insert(id, (path, attr(&e, b"media-type").unwrap_or_default()));
                    }
                    b"itemref" if attr(&e, b"linear").as_deref() != Some("no") => {
                        idrefs.extend(attr(&e, b"idref"));
                    }
                    b"spine" => toc_id = attr(&e, b"toc"),
                    b"title" if title.is_none() => in_title = true,
                    _ => {}
                },
                Event::Text(t) if in_title => {
                    title = t
                        .xml10_content()
                        .ok()
                        .map(|t| t.trim().to_owned())
                        .filter(|t| !t.is_empty());
                }
                Event::End(e) if e.local_name().as_ref() == b"title" => in_title = false,
                Event::Eof => break,
                _ => {}
            }
        }
        let ncx = toc_id
            .and_then(|id| manifest.get(&id).map(|(path, _)| path.clone()))
            .or_else(|| {
                manifest
                    .values()
                    .find(|(_, media)| media == "application/x-dtbncx+xml")
                    .map(|(path, _)| path.clone())
            });
        let spine = idrefs
            .iter()
            .filter_map(|id| manifest.get(id))
            .filter(|(_, media)| media.contains("html"))
            .map(|(path, _)| path.clone())
            .collect();
        Ok(Package { spine, nav, ncx, title })
    }
}

/// Titles from an EPUB 2 NCX: each navPoint's label, for the file its content points at
/// (the first one naming a file wins).
fn toc_of_ncx(ncx: &str, dir: &str, titles: &mut HashMap<String, String>) {
    let mut reader = Reader::from_str(ncx);
    let (mut label, mut in_text) = (String::new(), false);
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"navPoint" => label.clear(),
            Event::Start(e) if e.local_name().as_ref() == b"text" => in_text = true,
            Event::End(e) if e.local_name().as_ref() == b"text" => in_text = false,
            Event::Text(t) if in_text => label.push_str(&t.xml10_content().unwrap_or_default()),
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"content" => {
                if let Some(src) = attr(&e, b"src") {
                    let label = squeeze(&label);
                    if !label.is_empty() {
                        titles.entry(resolve(dir, &src)).or_insert(label);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
}

/// Titles from an EPUB 3 nav document: the links of its `toc` nav.
fn toc_of_nav(nav: &str, dir: &str, titles: &mut HashMap<String, String>) {
    let mut reader = Reader::from_str(nav);
    reader.config_mut().check_end_names = false;
    let (mut in_toc, mut link, mut label) = (false, None::<String>, String::new());
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"nav" => {
                in_toc = attr(&e, b"type").is_some_and(|t| t.split_whitespace().any(|t| t == "toc"));
            }
            Event::End(e) if e.local_name().as_ref() == b"nav" => in_toc = false,
            Event::Start(e) if in_toc && e.local_name().as_ref() == b"a" => {
                link = attr(&e, b"href");
                label.clear();
            }
            Event::Text(t) if link.is_some() => label.push_str(&t.xml10_content().unwrap_or_default()),
            Event::End(e) if e.local_name().as_ref() == b"a" => {
                if let Some(href) = link.take() {
                    let label = squeeze(&label);
                    if !label.is_empty() {
                        titles.entry(resolve(dir, &href)).or_insert(label);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
}

/// An XHTML file's text: its paragraphs, and its first heading.
struct Page {
    paragraphs: Vec<String>,
    heading: Option<String>,
}

/// Elements that end a paragraph.
const BREAKS: &[&[u8]] = &[
    b"p",
    b"div",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"li",
    b"blockquote",
    b"br",
    b"tr",
    b"section",
    b"dd",
    b"dt",
];
/// Elements whose text is not the book's.
const SKIPPED: &[&[u8]] = &[b"head", b"script", b"style", b"nav"];

impl Page {
    fn read(xhtml: &str) -> Page {
        let mut reader = Reader::from_str(xhtml);
        reader.config_mut().check_end_names = false;
        let mut page = Page {
            paragraphs: Vec::new(),
            heading: None,
        };
        let (mut current, mut skipping, mut in_heading) = (String::new(), 0usize, false);
        let mut heading_text = String::new();
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Start(e) => {
                    let name = e.local_name();
                    if SKIPPED.contains(&name.as_ref()) {
                        skipping += 1;
                    } else if BREAKS.contains(&name.as_ref()) {
                        page.flush(&mut current);
                        in_heading = page.heading.is_none() && matches!(name.as_ref(), b"h1" | b"h2" | b"h3");
                    }
                }
                Event::Empty(e) if BREAKS.contains(&e.local_name().as_ref()) => page.flush(&mut current),
                Event::End(e) => {
                    let name = e.local_name();
                    if SKIPPED.contains(&name.as_ref()) {
                        skipping = skipping.saturating_sub(1);
                    } else if BREAKS.contains(&name.as_ref()) {
                        if in_heading {
                            let heading = squeeze(&heading_text);
                            if !heading.is_empty() {
                                page.heading = Some(heading);
                            }
                            heading_text.clear();
                            in_heading = false;
                        }
                        page.flush(&mut current);
                    }
                }
                Event::Text(t) if skipping == 0 => {
                    let text = t.xml10_content().unwrap_or_default();
                    current.push_str(&text);
                    if in_heading {
                        heading_text.push_str(&text);
                    }
                }
                Event::GeneralRef(r) if skipping == 0 => {
                    let text = reference(&r)
                        .unwrap_or_else(|name| html_entity(name.as_deref().unwrap_or_default()).to_owned());
                    current.push_str(&text);
                    if in_heading {
                        heading_text.push_str(&text);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        page.flush(&mut current);
        page
    }

    fn flush(&mut self, current: &mut String) {
        let paragraph = squeeze(current);
        current.clear();
        if !paragraph.is_empty() {
            self.paragraphs.push(paragraph);
        }
    }
}

/// The HTML entities books use most (XHTML files often keep them); others are dropped.
fn html_entity(name: &str) -> &'static str {
    match name {
        "nbsp" => " ",
        "mdash" => "—",
        "ndash" => "–",
        "laquo" => "«",
        "raquo" => "»",
        "hellip" => "…",
        "copy" => "©",
        "shy" => "",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    /// An EPUB made here: `files` as (path, content), deflated, the mimetype first.
    pub(crate) fn epub(files: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/epub+zip").unwrap();
        let deflated = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (path, content) in files {
            zip.start_file(*path, deflated).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const CONTAINER: &str = r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;

    fn opf(nav: bool) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Мёртвые души</dc:title></metadata>
<manifest>
 <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
 {nav}
 <item id="c0" href="Text/cover.xhtml" media-type="application/xhtml+xml"/>
 <item id="c1" href="Text/chapter%201.xhtml" media-type="application/xhtml+xml"/>
 <item id="c1b" href="Text/chapter1b.xhtml" media-type="application/xhtml+xml"/>
 <item id="c2" href="Text/chapter2.xhtml" media-type="application/xhtml+xml"/>
 <item id="img" href="Images/cover.jpg" media-type="image/jpeg"/>
</manifest>
<spine toc="ncx"><itemref idref="c0" linear="no"/><itemref idref="c1"/><itemref idref="c1b"/><itemref idref="c2"/></spine>
</package>"#,
            nav = if nav {
                r#"<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>"#
            } else {
                ""
            }
        )
    }

    const NCX: &str = r#"<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>
<navPoint id="n1"><navLabel><text>Том первый. Глава первая</text></navLabel><content src="Text/chapter%201.xhtml"/></navPoint>
<navPoint id="n2"><navLabel><text>Глава вторая</text></navLabel><content src="Text/chapter2.xhtml#start"/></navPoint>
</navMap></ncx>"#;

    const NAV: &str = r#"<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"><body>
<nav epub:type="toc"><ol><li><a href="Text/chapter%201.xhtml">Глава <em>I</em></a></li><li><a href="Text/chapter2.xhtml">Глава II</a></li></ol></nav>
<nav epub:type="landmarks"><ol><li><a href="Text/cover.xhtml">Обложка</a></li></ol></nav></body></html>"#;

    fn page(body: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title><style>p {{ margin: 0 }}</style></head><body>{body}</body></html>"#
        )
    }

    fn book(nav: bool) -> Vec<u8> {
        let opf = opf(nav);
        let one = page(
            "<h1>Глава первая</h1><p>В ворота гостиницы губернского города&nbsp;NN въехала бричка.</p><p>В бричке сидел господин &#8212; не красавец.</p>",
        );
        let one_b = page("<p>Продолжение первой главы.<br/>После переноса строки.</p>");
        let two = page("<div id=\"start\"><h2>Глава вторая</h2><p>Помещик Манилов &amp; его жена.</p></div>");
        let cover = page("<p>Обложка</p>");
        epub(&[
            ("META-INF/container.xml", CONTAINER),
            ("OEBPS/content.opf", &opf),
            ("OEBPS/toc.ncx", NCX),
            ("OEBPS/nav.xhtml", NAV),
            ("OEBPS/Text/cover.xhtml", &cover),
            ("OEBPS/Text/chapter 1.xhtml", &one),
            ("OEBPS/Text/chapter1b.xhtml", &one_b),
            ("OEBPS/Text/chapter2.xhtml", &two),
        ])
    }

    #[test]
    fn the_spine_in_order_with_the_table_of_contents_titles() {
        let book = read(&book(false)).unwrap();
        assert_eq!(book.title.as_deref(), Some("Мёртвые души"));
        let titles: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Том первый. Глава первая", "Глава вторая"]);
        assert_eq!(
            book.chapters[0].paragraphs,
            [
                "Глава первая",
                "В ворота гостиницы губернского города NN въехала бричка.",
                "В бричке сидел господин — не красавец.",
                "Продолжение первой главы.",
                "После переноса строки."
            ]
        );
        assert_eq!(
            book.chapters[1].paragraphs,
            ["Глава вторая", "Помещик Манилов & его жена."]
        );
    }

    #[test]
    fn an_epub3_nav_names_the_chapters() {
        let book = read(&book(true)).unwrap();
        let titles: Vec<&str> = book.chapters.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(titles, ["Глава I", "Глава II"]);
    }

    #[test]
    fn not_an_epub_drm_and_a_missing_package_are_refused() {
        assert!(matches!(read(b"plain text"), Err(BookError::Malformed(_))));
        let drm = epub(&[
            ("META-INF/container.xml", CONTAINER),
            ("META-INF/encryption.xml", "<encryption><EncryptedData/></encryption>"),
        ]);
        assert_eq!(read(&drm), Err(BookError::Malformed("it is encrypted (DRM)".into())));
        let hollow = epub(&[("META-INF/container.xml", CONTAINER)]);
        assert_eq!(
            read(&hollow),
            Err(BookError::Malformed("OEBPS/content.opf is missing".into()))
        );
    }

    #[test]
    fn hrefs_resolve_against_their_folder() {
        assert_eq!(resolve("OEBPS", "Text/a%20b.xhtml#x"), "OEBPS/Text/a b.xhtml");
        assert_eq!(resolve("OEBPS/Text", "../Images/c.jpg"), "OEBPS/Images/c.jpg");
        assert_eq!(resolve("", "./ch1.xhtml"), "ch1.xhtml");
    }
}

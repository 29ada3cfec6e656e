//! A user's reference document: its styles (found by type and name), theme, page setup, and
//! its default header and footer with the pictures they show.
//!
//! Its parts are read with quick-xml: linear whatever the markup (a hand-written scan was
//! quadratic on unclosed elements), and checked to be well-formed. Nothing of a part but its
//! root element is copied, so a DTD (entity declarations, "billion laughs") never reaches the
//! plan, and a part that uses entities a DTD declared is refused. A header or footer keeps only
//! relationships inside the package and web links: a picture linked from outside
//! (`http://…`, `file:///\\host\share`) would be fetched by Word on opening.

use super::*;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// What the copied parts (theme, pictures) may add up to: a template's logo is kilobytes, and
/// every part is held in memory while the package is written.
const COPY_LIMIT: u64 = 64 << 20;

/// An element's attributes, unescaped, in order.
type Attrs = Vec<(String, String)>;

fn attrs(e: &BytesStart<'_>) -> Attrs {
    let each = |a: quick_xml::events::attributes::Attribute<'_>| {
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()?;
        Some((a.key.as_ref().to_string(), value.into_owned()))
    };
    e.attributes().flatten().filter_map(each).collect()
}

fn get<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Calls `each` with every event of a part and where it lies (`start..end` in `xml`), and
/// checks that the part is well-formed: tags pair up, attributes are whole, and no entity but
/// XML's own is used.
fn walk<'a>(xml: &'a str, mut each: impl FnMut(&Event<'a>, usize, usize)) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| format!("{e} (byte {})", reader.error_position()))?;
        match &event {
            Event::Eof if depth > 0 => return Err("an element is never closed".into()),
            Event::Eof => return Ok(()),
            Event::Start(t) | Event::Empty(t) => {
                depth += usize::from(matches!(event, Event::Start(_)));
                for a in t.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|_| "it uses entities declared in a DTD".to_string())?;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::GeneralRef(r) => {
                let known = matches!(r.as_ref(), "lt" | "gt" | "amp" | "apos" | "quot");
                if !known && !r.is_char_ref() {
                    return Err("it uses entities declared in a DTD".into());
                }
            }
            _ => {}
        }
        each(&event, start, reader.buffer_position() as usize);
    }
}

/// A part's XML declaration and root element, without anything else around them (a DTD,
/// comments, processing instructions); `close` is where the root's end tag starts (none for
/// an empty root, `<a:theme/>`).
struct Root<'a> {
    decl: &'a str,
    name: String,
    element: &'a str,
    close: Option<usize>,
}

impl Root<'_> {
    /// The part as written: its root with `inside` added as the root's last content (an empty
    /// root takes nothing).
    fn with(&self, inside: &str) -> String {
        match self.close {
            Some(close) => {
                let (head, tail) = self.element.split_at(close);
                format!("{}{head}{inside}{tail}", self.decl)
            }
            None => format!("{}{}", self.decl, self.element),
        }
    }
}

fn root(xml: &str) -> Result<Root<'_>, String> {
    let (mut decl, mut depth, mut found) = ("", 0, None);
    walk(xml, |event, s, e| match event {
        Event::Decl(_) if found.is_none() => decl = &xml[s..e],
        Event::Empty(t) if depth == 0 && found.is_none() => {
            found = Some((t.name().as_ref().to_string(), s, e, None));
        }
        Event::Start(t) => {
            if depth == 0 && found.is_none() {
                found = Some((t.name().as_ref().to_string(), s, 0, None));
            }
            depth += 1;
        }
        Event::End(_) => {
            depth -= 1;
            if let Some((_, open, end @ 0, close)) = &mut found
                && depth == 0
            {
                (*end, *close) = (e, Some(s - *open));
            }
        }
        _ => {}
    })?;
    match found {
        Some((name, open, end, close)) if end > 0 => Ok(Root {
            decl,
            name,
            element: &xml[open..end],
            close,
        }),
        _ => Err("it has no root element".into()),
    }
}

/// A style of a styles part: type, name, id, and the whole element as written.
struct Style<'a> {
    kind: String,
    name: String,
    id: String,
    element: &'a str,
}

/// The styles part and the id each of plan-ai's styles has in it: without a reference,
/// plan-ai's own; with one, the reference's styles, found by type and name, and plan-ai's for
/// the styles it lacks (under another id if the reference uses plan-ai's for something else).
/// `reference` is a styles part [`read_reference`] checked.
pub(super) fn styles(reference: Option<&str>) -> (String, HashMap<String, String>) {
    let found = reference
        .map(|r| scan_styles(r).unwrap_or_default())
        .unwrap_or_default();
    let taken = |i: &str| found.iter().any(|s| s.id == i);
    let mine = scan_styles(STYLES).unwrap_or_default();
    let (mut ids, mut added) = (HashMap::new(), String::new());
    // plan-ai's styles refer only to those before them, so each can be filled in at once.
    for style in &mine {
        let id = style.id.trim_matches(['{', '}']);
        let same = |s: &&Style| s.kind == style.kind && s.name.eq_ignore_ascii_case(&style.name);
        let mut free = id.to_string();
        while taken(&free) {
            free += "PlanAi";
        }
        let theirs = found.iter().find(same);
        ids.insert(id.to_string(), theirs.map_or(free, |s| s.id.clone()));
        let vars: Vec<(&str, &str)> = ids.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        added += when(theirs.is_none(), &fill(style.element, &vars));
    }
    let added = added.replace(r#" w:default="1""#, "");
    let xml = match reference.and_then(|r| root(r).ok()) {
        Some(root) => root.with(&added),
        None => format!("<w:styles {NS}>{DEFAULTS}{added}</w:styles>"),
    };
    (xml, ids)
}

/// Every `<w:style>` of a styles part; one without a type, name or plain id is left out, as
/// if it were missing.
fn scan_styles(xml: &str) -> Result<Vec<Style<'_>>, String> {
    let mut out = Vec::new();
    // The style being read: where it starts, its attributes, its name, how deep inside it.
    let mut open: Option<(usize, Attrs, Option<String>, usize)> = None;
    walk(xml, |event, s, e| match (event, &mut open) {
        (Event::Start(t), None) if t.name().as_ref() == "w:style" => {
            open = Some((s, attrs(t), None, 0));
        }
        (Event::Start(t) | Event::Empty(t), Some((_, _, name, inner))) => {
            if *inner == 0 && t.name().as_ref() == "w:name" {
                *name = get(&attrs(t), "w:val").map(str::to_string);
            }
            *inner += usize::from(matches!(event, Event::Start(_)));
        }
        (Event::End(_), Some((_, _, _, inner))) if *inner > 0 => *inner -= 1,
        (Event::End(_), Some(_)) => {
            let (start, a, name, _) = open.take().expect("open");
            let plain = |id: &&str| !id.is_empty() && !id.contains(['&', '<', '>', '"', '\'']);
            let fields = (get(&a, "w:type"), name, get(&a, "w:styleId").filter(plain));
            if let (Some(kind), Some(name), Some(id)) = fields {
                let (kind, id) = (kind.to_string(), id.to_string());
                let element = &xml[start..e];
                out.push(Style {
                    kind,
                    name,
                    id,
                    element,
                });
            }
        }
        _ => {}
    })?;
    Ok(out)
}

/// The last section's properties in a document (the ones of its final pages): page size and
/// margins, and its header and footer references.
#[derive(Default)]
pub(super) struct Section {
    page_size: Attrs,
    margins: Attrs,
    /// `header` or `footer`, and the reference's attributes.
    references: Vec<(&'static str, Attrs)>,
}

fn last_section(document: &str) -> Result<Section, String> {
    let (mut last, mut current) = (None, None::<Section>);
    walk(document, |event, _, _| match event {
        Event::Start(t) | Event::Empty(t) => match (t.name().as_ref(), &mut current) {
            ("w:sectPr", _) => {
                current = Some(Section::default());
                if matches!(event, Event::Empty(_)) {
                    last = current.take();
                }
            }
            ("w:pgSz", Some(s)) => s.page_size = attrs(t),
            ("w:pgMar", Some(s)) => s.margins = attrs(t),
            ("w:headerReference", Some(s)) => s.references.push(("header", attrs(t))),
            ("w:footerReference", Some(s)) => s.references.push(("footer", attrs(t))),
            _ => {}
        },
        Event::End(t) if t.name().as_ref() == "w:sectPr" => last = current.take(),
        _ => {}
    })?;
    Ok(last.unwrap_or_default())
}

/// The page's XML as [`PAGE`] lists it, with the defaults or a document's last section's
/// values where sensible, and the width between its margins.
pub(super) fn page(section: Option<&Section>) -> (String, i64) {
    let none = Section::default();
    let section = section.unwrap_or(&none);
    let tags = [&section.page_size, &section.margins];
    let mut xml = ["<w:pgSz".to_string(), "/><w:pgMar".into(), "/>".into()];
    let mut page = [0; 9];
    for (i, field) in PAGE.split(' ').enumerate() {
        let (name, default) = field.split_once('=').unwrap_or_default();
        let value = get(tags[usize::from(i > 1)], &format!("w:{name}"));
        let value = value.and_then(|v| v.trim().parse::<i64>().ok());
        let size = |v: &i64| (1440..=31680).contains(v);
        let margin = |v: &i64| v.abs() <= 15840 && (*v >= 0 || i == 2 || i == 4);
        let value = value.filter(|v| if i < 2 { size(v) } else { margin(v) });
        page[i] = value.unwrap_or(default.parse().unwrap_or(0));
        xml[usize::from(i > 1)] += &format!(r#" w:{name}="{}""#, page[i]);
    }
    xml[0] += when(page[0] > page[1], r#" w:orient="landscape""#);
    let width = page[0] - page[3] - page[5] - page[8];
    (xml.concat(), width.max(1440))
}

/// What a user's own .docx lends the plan.
#[derive(Default)]
pub(super) struct Reference {
    /// Its styles part, well-formed, with nothing but its declaration and root.
    pub styles: Option<String>,
    pub theme: Option<Vec<u8>>,
    pub section: Option<Section>,
    /// Its default header and footer, with what they show (a logo, say).
    pub header: Option<Furniture>,
    pub footer: Option<Furniture>,
}

/// A header or footer part, its relationships and the files they point to inside the package.
pub(super) struct Furniture {
    pub xml: String,
    pub rels: Option<Vec<u8>>,
    pub media: Vec<(String, Vec<u8>)>,
}

/// A relationship of a part: its id, type, target, and whether the target is outside.
struct Rel {
    id: String,
    kind: String,
    target: String,
    external: bool,
}

fn relationships(xml: &str) -> Result<Vec<Rel>, String> {
    let mut out = Vec::new();
    walk(xml, |event, _, _| {
        if let Event::Start(t) | Event::Empty(t) = event
            && t.name().as_ref() == "Relationship"
        {
            let a = attrs(t);
            let field = |name| get(&a, name).unwrap_or_default().to_string();
            out.push(Rel {
                id: field("Id"),
                kind: field("Type"),
                target: field("Target"),
                external: get(&a, "TargetMode") == Some("External"),
            });
        }
    })?;
    Ok(out)
}

/// A part's relationships as written into the plan.
fn relationships_xml(rels: &[Rel]) -> Vec<u8> {
    let mut xml = format!(
        r#"{DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    );
    for r in rels {
        let mode = when(r.external, r#" TargetMode="External""#);
        let (id, kind, target) = (escape(&r.id), escape(&r.kind), escape(&r.target));
        xml += &format!(r#"<Relationship Id="{id}" Type="{kind}" Target="{target}"{mode}/>"#);
    }
    (xml + "</Relationships>").into_bytes()
}

/// Whether a part's elements refer (through an `r:` attribute) to one of these relationships.
fn refers_to(xml: &str, ids: &[String]) -> bool {
    let mut found = false;
    let _ = walk(xml, |event, _, _| {
        if let Event::Start(t) | Event::Empty(t) = event {
            found |= attrs(t)
                .iter()
                .any(|(k, v)| k.starts_with("r:") && ids.contains(v));
        }
    });
    found
}

/// A user's own .docx: its styles, theme, document, header and footer (its parts where Word,
/// LibreOffice, Google Docs and pandoc put them).
pub(super) fn read_reference(bytes: &[u8]) -> Result<Reference> {
    let bad = |why| Error::Data(format!("not a usable Word document: {why}"));
    let zip = ZipArchive::new(Cursor::new(bytes));
    let mut zip = zip.map_err(|e| bad(format!("it is not a zip archive ({e})")))?;
    let mut part = |name: &str| -> Result<Option<Vec<u8>>> {
        let mut buf = Vec::new();
        let read = match zip.by_name(name) {
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(e) => Err(e.into()),
            Ok(file) => {
                // Sized once (the size the zip declares, within the limit): growing by
                // doubling would hold two copies of a large picture for a moment.
                buf.reserve_exact(file.size().min(PART_LIMIT) as usize + 1);
                file.take(PART_LIMIT + 1).read_to_end(&mut buf)
            }
        };
        match read {
            Ok(n) if n as u64 > PART_LIMIT => Err(bad(format!("its {name} is over 32 MiB"))),
            Ok(_) => Ok(Some(buf)),
            Err(e) => Err(bad(format!("cannot read its {name} ({e})"))),
        }
    };
    let mut text = |name: &str| {
        let bytes = part(name)?.ok_or_else(|| bad(format!("it has no {name}")))?;
        let text = String::from_utf8(bytes).map_err(|_| bad(format!("its {name} is not UTF-8")));
        Ok::<_, Error>(text?.trim_start_matches('\u{feff}').to_string())
    };
    let (document, styles) = (text("word/document.xml")?, text("word/styles.xml")?);
    let malformed = |name: &str, why: String| bad(format!("its {name} is not usable XML: {why}"));
    let section = last_section(&document).map_err(|e| malformed("word/document.xml", e))?;
    drop(document);
    let styles = match root(&styles) {
        Ok(root) if root.name == "w:styles" && root.close.is_some() => root.with(""),
        Ok(_) => return Err(bad("its word/styles.xml holds no Word styles".into())),
        Err(e) => return Err(malformed("word/styles.xml", e)),
    };
    let mut copied = Copied::default();
    // A theme that is not plain XML is left out (Word's own applies).
    let theme = part("word/theme/theme1.xml")?
        .and_then(|t| String::from_utf8(t).ok())
        .and_then(|t| Some(root(t.trim_start_matches('\u{feff}')).ok()?.with("")))
        .map(String::into_bytes);
    if let Some(t) = &theme {
        copied.count(t.len())?;
    }
    // The header and footer the last section shows on most pages, found through the
    // document's relationships; one whose parts cannot be found is left out, not an error.
    let rels = part("word/_rels/document.xml.rels")?.unwrap_or_default();
    let rels = relationships(&String::from_utf8_lossy(&rels)).unwrap_or_default();
    let mut furniture = |kind: &str| -> Result<Option<Furniture>> {
        let reference = section
            .references
            .iter()
            .find(|(k, a)| *k == kind && get(a, "w:type").is_none_or(|t| t == "default"));
        let id = reference.and_then(|(_, a)| get(a, "r:id"));
        let target = rels
            .iter()
            .find(|r| Some(r.id.as_str()) == id && !r.external);
        let Some(target) = target.and_then(|r| package_path(&r.target)) else {
            return Ok(None);
        };
        let Some(xml) = part(&target)?.and_then(|b| String::from_utf8(b).ok()) else {
            return Ok(None);
        };
        let (folder, file) = target.rsplit_once('/').unwrap_or(("", &target));
        let own_rels = part(&format!("{folder}/_rels/{file}.rels"))?;
        let own_rels = String::from_utf8_lossy(own_rels.as_deref().unwrap_or_default());
        let Some((rels, targets)) = kept_relationships(&xml, &own_rels) else {
            return Ok(None);
        };
        let mut media = Vec::new();
        for target in targets {
            if !copied.first(&target) {
                continue;
            }
            match part(&target)? {
                Some(bytes) => {
                    copied.count(bytes.len())?;
                    media.push((target, bytes));
                }
                None => return Ok(None),
            }
        }
        let root = root(xml.trim_start_matches('\u{feff}')).ok();
        let xml = root.map(|r| r.with(""));
        Ok(xml.map(|xml| Furniture { xml, rels, media }))
    };
    let (header, footer) = (furniture("header")?, furniture("footer")?);
    Ok(Reference {
        styles: Some(styles),
        theme,
        section: Some(section),
        header,
        footer,
    })
}

/// The parts copied so far: each once, and all of them within [`COPY_LIMIT`].
#[derive(Default)]
struct Copied {
    paths: Vec<String>,
    bytes: u64,
}

impl Copied {
    /// Whether `path` is met for the first time (the same logo forty times is one part).
    fn first(&mut self, path: &str) -> bool {
        let new = !self.paths.iter().any(|p| p == path);
        if new {
            self.paths.push(path.to_string());
        }
        new
    }

    fn count(&mut self, bytes: usize) -> Result<()> {
        self.bytes += bytes as u64;
        if self.bytes > COPY_LIMIT {
            return Err(Error::Data(format!(
                "not a usable Word document: its theme, header and footer pictures are over {} together; a template's are kilobytes",
                crate::text::bytes(COPY_LIMIT)
            )));
        }
        Ok(())
    }
}

/// A header's or footer's relationships as copied, and the package paths they point to.
/// Targets outside the package are dropped, but web links (Word does not open those by
/// itself); `None` (the part is left out) when the part uses a dropped one, or a target is not
/// a plain path under `word/`. Parts plan-ai writes itself are not copied again (a target of
/// `styles.xml` then means plan-ai's).
fn kept_relationships(xml: &str, rels: &str) -> Option<(Option<Vec<u8>>, Vec<String>)> {
    if rels.trim().is_empty() {
        return Some((None, Vec::new()));
    }
    let (mut kept, mut dropped, mut targets) = (Vec::new(), Vec::new(), Vec::new());
    for r in relationships(rels).ok()? {
        if r.external {
            let target = r.target.to_ascii_lowercase();
            let web = ["http://", "https://", "mailto:"]
                .iter()
                .any(|s| target.starts_with(s));
            if r.kind.ends_with("/hyperlink") && web {
                kept.push(r);
            } else {
                dropped.push(r.id);
            }
            continue;
        }
        let path = package_path(&r.target)?;
        if !written_by_plan_ai(&path) && !targets.contains(&path) {
            targets.push(path);
        }
        kept.push(r);
    }
    if !dropped.is_empty() && refers_to(xml, &dropped) {
        return None;
    }
    Some((Some(relationships_xml(&kept)), targets))
}

/// Whether plan-ai writes a part of this name itself.
fn written_by_plan_ai(path: &str) -> bool {
    let mut mine = PARTS
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, _)| n);
    path.starts_with("word/_rels/") || path == "word/theme/theme1.xml" || mine.any(|n| n == path)
}

/// A relationship target under `word/` as a path in the package.
fn package_path(target: &str) -> Option<String> {
    let path = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("word/{target}"),
    };
    let safe = !path.contains("..") && !path.contains('\\') && path.starts_with("word/");
    safe.then_some(path)
}

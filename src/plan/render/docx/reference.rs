//! A user's reference document: its styles (found by type and name), theme, page setup, and
//! its default header and footer with the pictures they show.

use super::*;

/// The styles part and the id each of plan-ai's styles has in it: without a reference,
/// plan-ai's own; with one, the reference's styles, found by type and name, and plan-ai's for
/// the styles it lacks (under another id if the reference uses plan-ai's for something else).
pub(super) fn styles(reference: Option<&str>) -> (String, HashMap<String, String>) {
    let found = reference.map(scan_styles).unwrap_or_default();
    let taken = |i: &str| found.iter().any(|s| s.2 == i);
    let mine = scan_styles(STYLES);
    let (mut ids, mut added) = (HashMap::new(), String::new());
    // plan-ai's styles refer only to those before them, so each can be filled in at once.
    for (kind, name, id, element) in &mine {
        let id = id.trim_matches(['{', '}']);
        let same = |s: &&(&str, &str, &str, &str)| s.0 == *kind && s.1.eq_ignore_ascii_case(name);
        let mut free = id.to_string();
        while taken(&free) {
            free += "PlanAi";
        }
        let theirs = found.iter().find(same);
        ids.insert(id.to_string(), theirs.map_or(free, |s| s.2.to_string()));
        let vars: Vec<(&str, &str)> = ids.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        added += when(theirs.is_none(), &fill(element, &vars));
    }
    let xml = match reference.and_then(|r| Some(r.split_at(r.rfind("</w:styles>")?))) {
        Some((start, end)) => format!("{start}{}{end}", added.replace(r#" w:default="1""#, "")),
        None => format!("<w:styles {NS}>{DEFAULTS}{added}</w:styles>"),
    };
    (xml, ids)
}

/// Every `<w:style>` of a styles part: type, name, id and the whole element; one whose id
/// would need escaping is left out, as if it were missing.
fn scan_styles(xml: &str) -> Vec<(&str, &str, &str, &str)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some((tag, after)) = element(rest, "w:style") {
        let end = after.find("</w:style>").filter(|_| !tag.ends_with("/>"));
        let (body, next) = after.split_at(end.unwrap_or(0));
        let name = element(body, "w:name").and_then(|(t, _)| attr(t, "w:val"));
        let fields = [attr(tag, "w:type"), name, attr(tag, "w:styleId")];
        if let [Some(kind), Some(name), Some(id)] = fields
            && !id.is_empty()
            && !id.contains(['&', '<', '>', '"', '\''])
        {
            let close = when(end.is_some(), "</w:style>").len();
            let start = rest.len() - tag.len() - after.len();
            let whole = &rest[start..rest.len() - next.len() + close];
            out.push((kind, name, id, whole));
        }
        rest = next;
    }
    out
}

/// The first start tag `<name ...>` in `xml` (not one of a longer name) and the text after it.
fn element<'a>(xml: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    let mut from = 0;
    loop {
        let at = from + xml[from..].find(&format!("<{name}"))?;
        let after = &xml[at + name.len() + 1..];
        if after.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/') {
            let (tag, rest) = xml.split_at(at + name.len() + 2 + after.find('>')?);
            return Some((&tag[at..], rest));
        }
        from = at + 1;
    }
}

/// An attribute's value in a start tag.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let rest = tag[from..].trim_start();
        if tag[..at].ends_with(|c: char| c.is_ascii_whitespace())
            && let Some(rest) = rest.strip_prefix('=').map(str::trim_start)
        {
            let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            return rest[1..].find(quote).map(|end| &rest[1..end + 1]);
        }
    }
    None
}

/// The page's XML as [`PAGE`] lists it, with the defaults or a document's last section's
/// values where sensible, and the width between its margins.
pub(super) fn page(document: Option<&str>) -> (String, i64) {
    let sect = last_section(document.unwrap_or_default());
    let tags = ["w:pgSz", "w:pgMar"].map(|e| element(sect, e).map_or("", |t| t.0));
    let mut xml = ["<w:pgSz".to_string(), "/><w:pgMar".into(), "/>".into()];
    let mut page = [0; 9];
    for (i, field) in PAGE.split(' ').enumerate() {
        let (name, default) = field.split_once('=').unwrap_or_default();
        let value = attr(tags[usize::from(i > 1)], &format!("w:{name}"));
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
    pub styles: Option<String>,
    pub theme: Option<Vec<u8>>,
    pub document: Option<String>,
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
            Ok(file) => file.take(PART_LIMIT + 1).read_to_end(&mut buf),
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
    if !styles.trim_end().ends_with("</w:styles>") {
        return Err(bad("its word/styles.xml holds no Word styles".into()));
    }
    let theme = part("word/theme/theme1.xml")?;
    // The header and footer the last section shows on most pages, found through the
    // document's relationships; one whose parts cannot be found is left out, not an error.
    let rels = part("word/_rels/document.xml.rels")?.unwrap_or_default();
    let rels = String::from_utf8_lossy(&rels).into_owned();
    let mut furniture = |kind: &str| -> Result<Option<Furniture>> {
        let sect = last_section(&document);
        let Some(target) = default_reference(sect, kind).and_then(|id| target_of(&rels, id)) else {
            return Ok(None);
        };
        let Some(xml) = part(&target)?.and_then(|b| String::from_utf8(b).ok()) else {
            return Ok(None);
        };
        let (folder, file) = target.rsplit_once('/').unwrap_or(("", &target));
        let rels = part(&format!("{folder}/_rels/{file}.rels"))?;
        let mut media = Vec::new();
        let Some(targets) = internal_targets(rels.as_deref().unwrap_or_default()) else {
            return Ok(None);
        };
        for target in targets {
            match part(&target)? {
                Some(bytes) => media.push((target, bytes)),
                None => return Ok(None),
            }
        }
        let xml = xml.trim_start_matches('\u{feff}').to_string();
        Ok(Some(Furniture { xml, rels, media }))
    };
    let (header, footer) = (furniture("header")?, furniture("footer")?);
    Ok(Reference {
        styles: Some(styles),
        theme,
        document: Some(document),
        header,
        footer,
    })
}

/// The last section's properties in a document (the ones of its final pages).
pub(super) fn last_section(document: &str) -> &str {
    let (mut sect, mut rest) = ("", document);
    while let Some((tag, after)) = element(rest, "w:sectPr") {
        (sect, rest) = (when(!tag.ends_with("/>"), after), after);
    }
    &sect[..sect.find("</w:sectPr>").unwrap_or(sect.len())]
}

/// The relationship id of a section's default header or footer (`kind`).
fn default_reference<'a>(sect: &'a str, kind: &str) -> Option<&'a str> {
    let mut rest = sect;
    while let Some((tag, after)) = element(rest, &format!("w:{kind}Reference")) {
        if attr(tag, "w:type").is_none_or(|t| t == "default") {
            return attr(tag, "r:id");
        }
        rest = after;
    }
    None
}

/// The package path a document relationship points to; none for one outside the package or
/// one that climbs out of it.
fn target_of(rels: &str, id: &str) -> Option<String> {
    let mut rest = rels;
    while let Some((tag, after)) = element(rest, "Relationship") {
        if attr(tag, "Id") == Some(id) && attr(tag, "TargetMode").is_none_or(|m| m != "External") {
            return package_path(attr(tag, "Target")?);
        }
        rest = after;
    }
    None
}

/// The package paths a part's relationships point to (its pictures, say); none if one of
/// them is not a plain path under `word/`.
fn internal_targets(rels: &[u8]) -> Option<Vec<String>> {
    let rels = String::from_utf8_lossy(rels);
    let mut rest = rels.as_ref();
    let mut out = Vec::new();
    while let Some((tag, after)) = element(rest, "Relationship") {
        if attr(tag, "TargetMode").is_none_or(|m| m != "External") {
            out.push(attr(tag, "Target").and_then(package_path)?);
        }
        rest = after;
    }
    Some(out)
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

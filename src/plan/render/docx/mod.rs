//! The plan as a Word document, written natively: WordprocessingML by hand, packaged with the
//! zip crate. Styles carry Word's standard ids and names, so the navigation pane and a table of
//! contents work. With a reference document its styles, theme, page setup, header and footer
//! are used, each style found by its name (a German template's "heading 1" has the id
//! "berschrift1").

mod body;
mod layout;
mod reference;
mod table;
#[cfg(test)]
mod tests;

use super::blocks::Block;
use super::measure::Font;
use crate::error::{Error, Result};
use body::{Body, escape};
pub use layout::{Layout, layout_for, shares};
use reference::{Furniture, Reference, page, read_reference, styles};
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};
use zip::{CompressionMethod, ZipArchive, ZipWriter, result::ZipError, write::SimpleFileOptions};

/// Document properties and the notice shown in the page header.
pub struct DocMeta {
    pub title: String,          // e.g. "Implementation plan: Sales CRM rollout 2027"
    pub subject: String,        // e.g. the system name
    pub author: Option<String>, // project.owner
    pub created: String,        // "YYYY-MM-DD"
    pub notice: String,         // e.g. "DRAFT for review: generated sections need checking"
    /// A confidential annex's marking: in the footer above the page numbers, and the
    /// document's category and keywords.
    pub marking: Option<String>,
    /// The page numbers' wording: "Page {page} of {pages}", the placeholders Word's fields.
    pub page_of: String,
    /// The document's language for Word's spelling and hyphenation (`de`), when it is not
    /// English; a reference document's own language settings are kept.
    pub language: Option<String>,
}

/// The package: each part's name, a space and its XML on a line, `{name}`s filled in.
const PARTS: &str = r#"[Content_Types].xml <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/><Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>{theme_type}{media_types}</Types>
_rels/.rels <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>
docProps/core.xml <cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title><dc:subject>{subject}</dc:subject>{creator}{classified}{dates}</cp:coreProperties>
docProps/app.xml <Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>plan-ai</Application></Properties>
word/_rels/document.xml.rels <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>{theme_rel}{links}</Relationships>
word/document.xml <w:document {ns}><w:body>{body}{sect}</w:body></w:document>
word/styles.xml {styles}
word/numbering.xml <w:numbering {ns}>{abstracts}<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>{nums}</w:numbering>
word/settings.xml <w:settings {ns}><w:zoom w:percent="100"/><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/><w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>
word/header1.xml {header}
word/footer1.xml {footer}"#;

/// plan-ai's own header (the draft notice) and footer (page numbers); the notice paragraph is
/// also added to a reference document's header.
const HEADER: &str = r#"<w:hdr {ns}>{notice_paragraph}</w:hdr>"#;
const NOTICE: &str = r#"<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="right"/></w:pPr><w:r><w:rPr><w:color w:val="808080"/><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr><w:t xml:space="preserve">{notice}</w:t></w:r></w:p>"#;
const FOOTER: &str = r#"<w:ftr {ns}>{marking_paragraph}<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="center"/></w:pPr>{page_numbers}</w:p></w:ftr>"#;
/// A run of the footer's text, and the fields for the page number and the page count.
const FOOTER_TEXT: &str = r#"<w:r><w:t xml:space="preserve">{text}</w:t></w:r>"#;
const PAGE_FIELD: &str = r#"<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>"#;
const PAGES_FIELD: &str =
    r#"<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple>"#;
/// A marking in the footer: bold, dark red, centred.
const MARKING: &str = r#"<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/><w:color w:val="9C0006"/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr><w:t xml:space="preserve">{marking}</w:t></w:r></w:p>"#;
const CLASSIFIED: &str = "<cp:category>{marking}</cp:category><cp:keywords>{marking}</cp:keywords><cp:contentStatus>{marking}</cp:contentStatus>";
const NS: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const THEME_TYPE: &str = r#"<Override PartName="/word/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>"#;
const THEME_REL: &str = r#"<Relationship Id="rId6" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/>"#;
const LINK_REL: &str = r#"<Relationship Id="link{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="{url}" TargetMode="External"/>"#;
const DATES: &str = r#"<dcterms:created xsi:type="dcterms:W3CDTF">{date}T00:00:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{date}T00:00:00Z</dcterms:modified>"#;
const DEFAULTS: &str = r#"<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:eastAsia="Calibri" w:hAnsi="Calibri" w:cs="Arial"/><w:sz w:val="22"/><w:szCs w:val="22"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>"#;
const RULE: &str =
    r#"<w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="A6A6A6"/></w:pBdr>"#;
const RESTART: &str = r#"<w:num w:numId="{n}"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride><w:lvlOverride w:ilvl="1"><w:startOverride w:val="1"/></w:lvlOverride><w:lvlOverride w:ilvl="2"><w:startOverride w:val="1"/></w:lvlOverride></w:num>"#;
/// Bullets (abstract 0) and numbers (abstract 1), nine levels each.
const ABSTRACTS: &str = r#"<w:abstractNum w:abstractNumId="0"><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="◦"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1080" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="▪"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1440" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1800" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="4"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="◦"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2160" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="5"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="▪"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2520" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="6"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2880" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="7"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="◦"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="3240" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="8"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="▪"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="3600" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="1"><w:multiLevelType w:val="hybridMultilevel"/><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="720" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1080" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%3."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1440" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%4."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="1800" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="4"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%5."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2160" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="5"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%6."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2520" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="6"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%7."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="2880" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="7"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%8."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="3240" w:hanging="360"/></w:pPr></w:lvl><w:lvl w:ilvl="8"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="%9."/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="3600" w:hanging="360"/></w:pPr></w:lvl></w:abstractNum>"#;
/// The page: `<w:pgSz>` then `<w:pgMar>` attributes in twentieths of a point (A4, 2 cm margins).
const PAGE: &str =
    "w=11906 h=16838 top=1134 right=1134 bottom=1134 left=1134 header=567 footer=567 gutter=0";
/// A reference document's part is read up to this size (a zip bomb stays a clear error).
const PART_LIMIT: u64 = 32 << 20;

/// The styles plan-ai uses, with Word's ids and names; `{Id}` stands for the id a style ends up
/// with (a reference document's own, found by name, or plan-ai's).
const STYLES: &str = r#"<w:style w:type="paragraph" w:default="1" w:styleId="{Normal}"><w:name w:val="Normal"/><w:qFormat/></w:style>
<w:style w:type="character" w:default="1" w:styleId="{DefaultParagraphFont}"><w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>
<w:style w:type="table" w:default="1" w:styleId="{TableNormal}"><w:name w:val="Normal Table"/><w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style w:type="paragraph" w:styleId="{Title}"><w:name w:val="Title"/><w:basedOn w:val="{Normal}"/><w:next w:val="{Normal}"/><w:uiPriority w:val="10"/><w:qFormat/><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="8" w:space="4" w:color="2F5496"/></w:pBdr><w:spacing w:after="300" w:line="240" w:lineRule="auto"/><w:contextualSpacing/></w:pPr><w:rPr><w:rFonts w:ascii="Calibri Light" w:hAnsi="Calibri Light"/><w:color w:val="1F3864"/><w:kern w:val="28"/><w:sz w:val="48"/><w:szCs w:val="48"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="{Heading1}"><w:name w:val="heading 1"/><w:basedOn w:val="{Normal}"/><w:next w:val="{Normal}"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:ascii="Calibri Light" w:hAnsi="Calibri Light"/><w:color w:val="2F5496"/><w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="{Heading2}"><w:name w:val="heading 2"/><w:basedOn w:val="{Normal}"/><w:next w:val="{Normal}"/><w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="240" w:after="80"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:rFonts w:ascii="Calibri Light" w:hAnsi="Calibri Light"/><w:color w:val="2F5496"/><w:sz w:val="26"/><w:szCs w:val="26"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="{Heading3}"><w:name w:val="heading 3"/><w:basedOn w:val="{Normal}"/><w:next w:val="{Normal}"/><w:uiPriority w:val="9"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="200" w:after="60"/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:bCs/><w:color w:val="1F3763"/><w:sz w:val="23"/><w:szCs w:val="23"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="{ListParagraph}"><w:name w:val="List Paragraph"/><w:basedOn w:val="{Normal}"/><w:uiPriority w:val="34"/><w:qFormat/><w:pPr><w:spacing w:after="60"/><w:ind w:left="720"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="{Quote}"><w:name w:val="Quote"/><w:basedOn w:val="{Normal}"/><w:next w:val="{Normal}"/><w:uiPriority w:val="29"/><w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="BF8F00"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="FFF8E5"/><w:spacing w:before="120" w:after="120"/><w:ind w:left="284" w:right="284"/></w:pPr><w:rPr><w:color w:val="3B3B3B"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="{Code}"><w:name w:val="Code"/><w:basedOn w:val="{Normal}"/><w:uiPriority w:val="99"/><w:qFormat/><w:pPr><w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:left w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:bottom w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/><w:right w:val="single" w:sz="4" w:space="4" w:color="D9D9D9"/></w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="F5F5F5"/><w:spacing w:after="160" w:line="240" w:lineRule="auto"/><w:ind w:left="113" w:right="113"/></w:pPr><w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Courier New"/><w:noProof/><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>
<w:style w:type="character" w:styleId="{CodeChar}"><w:name w:val="Code Char"/><w:basedOn w:val="{DefaultParagraphFont}"/><w:uiPriority w:val="99"/><w:qFormat/><w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Courier New"/><w:noProof/><w:color w:val="7A2E0E"/><w:sz w:val="20"/><w:szCs w:val="20"/><w:shd w:val="clear" w:color="auto" w:fill="F2F2F2"/></w:rPr></w:style>
<w:style w:type="character" w:styleId="{Hyperlink}"><w:name w:val="Hyperlink"/><w:basedOn w:val="{DefaultParagraphFont}"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>
<w:style w:type="table" w:styleId="{TableGrid}"><w:name w:val="Table Grid"/><w:basedOn w:val="{TableNormal}"/><w:uiPriority w:val="39"/><w:pPr><w:spacing w:before="20" w:after="20" w:line="240" w:lineRule="auto"/></w:pPr><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:left w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:right w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="A6A6A6"/></w:tblBorders><w:tblCellMar><w:top w:w="29" w:type="dxa"/><w:left w:w="85" w:type="dxa"/><w:bottom w:w="29" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>
<w:style w:type="paragraph" w:styleId="{TableText}"><w:name w:val="Table Text"/><w:basedOn w:val="{Normal}"/><w:uiPriority w:val="99"/><w:qFormat/><w:pPr><w:spacing w:before="0" w:after="40" w:line="240" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="20"/><w:szCs w:val="20"/></w:rPr></w:style>"#;

/// The plan (already parsed from its Markdown into blocks) as a .docx file's bytes.
/// `reference`: the bytes of a user's own .docx whose styles, theme, page setup, header and
/// footer are used (as pandoc's --reference-doc does); the draft notice joins its header.
pub fn render(blocks: &[Block], meta: &DocMeta, reference: Option<&[u8]>) -> Result<Vec<u8>> {
    let reference = match reference {
        Some(bytes) => read_reference(bytes)?,
        None => Reference::default(),
    };
    let page = page(reference.section.as_ref());
    let (mut styles, ids) = styles(reference.styles.as_deref());
    if let (None, Some(tag)) = (&reference.styles, &meta.language) {
        // plan-ai's own defaults say which language the text is in; a reference's stay.
        let end = r#"<w:szCs w:val="22"/></w:rPr></w:rPrDefault>"#;
        let lang = format!(
            r#"<w:szCs w:val="22"/><w:lang w:val="{}"/></w:rPr></w:rPrDefault>"#,
            escape(&word_language(tag))
        );
        styles = styles.replacen(end, &lang, 1);
    }
    let theme = reference.theme;
    let notice = fill(NOTICE, &[("notice", &escape(&meta.notice))]);
    let marking = meta.marking.as_deref().map(escape).unwrap_or_default();
    let marked = fill(MARKING, &[("marking", &marking)]);
    let marked = when(meta.marking.is_some(), &marked);
    let numbers = page_numbers(&meta.page_of);
    let (header, footer, extra) = furniture(
        (reference.header, reference.footer),
        &notice,
        marked,
        &numbers,
    );
    let media_types = media_types(&extra);
    let scale = reference.styles.as_deref().map(|_| layout::scale(&styles));
    let font = Font {
        scale: scale.unwrap_or(1.0),
        ..Font::default()
    };
    let mut body = Body {
        ids,
        font,
        ..Body::default()
    };
    let last = body.document(blocks, &layout::Pages::of(&page.0));
    body.para(None, "", &[], 0); // Word wants a paragraph after a final table
    let links = body.links.iter().enumerate();
    let links = links.map(|(n, url)| fill(LINK_REL, &[("n", &(n + 1).to_string()), ("url", url)]));
    let nums = (2..body.ordered + 2).map(|n| fill(RESTART, &[("n", &n.to_string())]));
    // Word refuses a file whose dates are not W3CDTF.
    let digit = |(i, c): (usize, u8)| c.is_ascii_digit() || (c == b'-' && (i == 4 || i == 7));
    let date = meta.created.len() == 10 && meta.created.bytes().enumerate().all(digit);
    let author = escape(meta.author.as_deref().unwrap_or_default());
    let creator = format!("<dc:creator>{author}</dc:creator>");
    let dates = fill(DATES, &[("date", &meta.created)]);
    let classified = fill(CLASSIFIED, &[("marking", &marking)]);
    let classified = when(meta.marking.is_some(), &classified).to_string();
    let vars = [
        ("ns", NS),
        ("theme_type", when(theme.is_some(), THEME_TYPE)),
        ("theme_rel", when(theme.is_some(), THEME_REL)),
        ("links", &links.collect::<String>()),
        ("title", &escape(&meta.title)),
        ("subject", &escape(&meta.subject)),
        ("creator", when(meta.author.is_some(), &creator)),
        ("classified", &classified),
        ("dates", when(date, &dates)),
        ("body", &body.out),
        ("sect", &table::sect(&last.xml)),
        ("styles", &styles),
        ("abstracts", ABSTRACTS),
        ("nums", &nums.collect::<String>()),
        ("header", &header),
        ("footer", &footer),
        ("media_types", &media_types),
    ];
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut parts = Vec::new();
    for (name, xml) in PARTS.lines().filter_map(|l| l.split_once(' ')) {
        let xml = fill(xml, &vars);
        let decl = when(!xml.starts_with("<?xml"), DECL);
        parts.push((name.to_string(), format!("{decl}{xml}").into_bytes()));
    }
    parts.extend(theme.map(|t| ("word/theme/theme1.xml".to_string(), t)));
    parts.extend(extra);
    let written = parts.into_iter().try_for_each(|(name, bytes)| {
        zip.start_file(name, options)?;
        zip.write_all(&bytes).map_err(ZipError::from)
    });
    let zip = written.and_then(|()| zip.finish()).map(Cursor::into_inner);
    zip.map_err(|e| Error::Other(format!("cannot write the Word document: {e}")))
}

/// The header and footer: a reference document's own (its header with the draft notice
/// added, its footer with the marking), else plan-ai's; and the parts they bring along
/// (relationships, pictures).
fn furniture(
    (header, footer): (Option<Furniture>, Option<Furniture>),
    notice: &str,
    marking: &str,
    page_numbers: &str,
) -> (String, String, Vec<(String, Vec<u8>)>) {
    let header = header.and_then(|f| {
        let xml = with_last(&f.xml, "hdr", notice)?;
        Some(Furniture { xml, ..f })
    });
    // A footer is kept as it is unless a marking must join it.
    let footer = footer.and_then(|f| match marking {
        "" => Some(f),
        _ => Some(Furniture {
            xml: with_last(&f.xml, "ftr", marking)?,
            ..f
        }),
    });
    let mut extra: Vec<(String, Vec<u8>)> = Vec::new();
    let mut bring = |f: Option<Furniture>, name: &str| -> Option<String> {
        let f = f?;
        extra.extend(f.rels.map(|r| (format!("word/_rels/{name}.rels"), r)));
        for (path, bytes) in f.media {
            // The same logo in the header and the footer is one part.
            if !extra.iter().any(|(p, _)| *p == path) {
                extra.push((path, bytes));
            }
        }
        Some(f.xml)
    };
    let header = bring(header, "header1.xml")
        .unwrap_or_else(|| fill(HEADER, &[("ns", NS), ("notice_paragraph", notice)]));
    let footer = bring(footer, "footer1.xml").unwrap_or_else(|| {
        let vars = [
            ("ns", NS),
            ("marking_paragraph", marking),
            ("page_numbers", page_numbers),
        ];
        fill(FOOTER, &vars)
    });
    (header, footer, extra)
}

/// "Page {page} of {pages}" as the footer's runs: its text around Word's fields for the page
/// number and the page count, in the order the wording has them.
fn page_numbers(page_of: &str) -> String {
    let mut out = String::new();
    let mut rest = page_of;
    loop {
        let next = [("{page}", PAGE_FIELD), ("{pages}", PAGES_FIELD)]
            .into_iter()
            .filter_map(|(p, field)| rest.find(p).map(|at| (at, p, field)))
            .min_by_key(|(at, _, _)| *at);
        let (text, after) = match next {
            Some((at, p, _)) => (&rest[..at], &rest[at + p.len()..]),
            None => (rest, ""),
        };
        if !text.is_empty() {
            out += &fill(FOOTER_TEXT, &[("text", &escape(text))]);
        }
        match next {
            Some((_, _, field)) => out += field,
            None => return out,
        }
        rest = after;
    }
}

/// A language tag as Word's language settings name it: with a region (`de` → `de-DE`) for
/// the shipped languages, as Word's own lists have them; any other tag as it is.
fn word_language(tag: &str) -> String {
    let region = match tag {
        "de" => "DE",
        "fr" => "FR",
        "es" => "ES",
        "nl" => "NL",
        "en" => "GB",
        _ => return tag.to_string(),
    };
    format!("{tag}-{region}")
}

/// A header (`hdr`) or footer (`ftr`) part with `paragraph` (the draft notice, a marking)
/// as its last; none if it is not the usual WordprocessingML (it could not be added safely).
fn with_last(xml: &str, part: &str, paragraph: &str) -> Option<String> {
    let w = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
    let end = xml
        .rfind(&format!("</w:{part}>"))
        .filter(|_| xml.contains(w))?;
    Some(format!("{}{paragraph}{}", &xml[..end], &xml[end..]))
}

/// Content types for the files a reference's header or footer brought, by extension.
fn media_types(extra: &[(String, Vec<u8>)]) -> String {
    let mut seen: Vec<String> = vec!["xml".into(), "rels".into()];
    let mut out = String::new();
    for (path, _) in extra {
        let Some(ext) = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) else {
            continue;
        };
        if seen.contains(&ext) || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let kind = match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "bmp" => "image/bmp",
            "tif" | "tiff" => "image/tiff",
            "emf" => "image/x-emf",
            "wmf" => "image/x-wmf",
            "svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        out += &format!(r#"<Default Extension="{ext}" ContentType="{kind}"/>"#);
        seen.push(ext);
    }
    out
}

fn when(on: bool, s: &str) -> &str {
    if on { s } else { "" }
}

/// Fills a template's `{name}`s in one pass, so filled-in text that holds braces stays as it is.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out += &rest[..i];
        rest = &rest[i + 1..];
        let key = |v: &&(&str, &str)| rest.starts_with(&format!("{}}}", v.0));
        match vars.iter().find(key) {
            Some((k, v)) => (out, rest) = (out + v, &rest[k.len() + 1..]),
            None => out.push('{'),
        }
    }
    out + rest
}

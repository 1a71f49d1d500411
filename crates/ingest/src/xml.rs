//! Streams an XML document as small trees, one per record element (`<entry>`, `<record>`,
//! `<item>`), so a 50 MB OAI-PMH page never sits in memory as one tree and the records before a
//! break in the XML still count.
//!
//! Names are kept without their namespace prefix: arXiv's API has written `<arxiv:comment>` both
//! with the namespace declared once on `<feed>` and on every element, and both must read the same.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

#[derive(Debug, Default, Clone)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// The element's own text (children's text not included), entities resolved.
    pub text: String,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The trimmed text of the first child so named, if it has any.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|child| child.text.trim())
            .filter(|text| !text.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Depth-first search for the first descendant so named.
    pub fn descendant(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|child| {
            if child.name == name {
                Some(child)
            } else {
                child.descendant(name)
            }
        })
    }
}

/// What the stream yields: record subtrees, or the one error that ends the document.
pub enum XmlItem {
    Record(Element),
    /// The document's root element name, yielded once before any record.
    Root(String),
}

#[derive(Debug, thiserror::Error)]
#[error("broken XML at line {line}: {reason}")]
pub struct XmlError {
    pub line: usize,
    pub reason: String,
}

pub struct RecordStream<R: BufRead> {
    reader: Reader<R>,
    record_names: &'static [&'static str],
    buffer: Vec<u8>,
    root_seen: bool,
    /// Elements opened outside records and not yet closed: a document that ends with some
    /// still open was cut short, even when it breaks between two records.
    open_elements: usize,
    finished: bool,
    /// Lines read so far, so that errors can say where.
    line: usize,
}

impl<R: BufRead> RecordStream<R> {
    pub fn new(input: R, record_names: &'static [&'static str]) -> Self {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().trim_text(false);
        RecordStream {
            reader,
            record_names,
            buffer: Vec::new(),
            root_seen: false,
            open_elements: 0,
            finished: false,
            line: 1,
        }
    }

    fn error(&self, reason: impl ToString) -> XmlError {
        XmlError {
            line: self.line,
            reason: reason.to_string(),
        }
    }

    fn track_lines(&mut self) {
        self.line += self.buffer.iter().filter(|&&b| b == b'\n').count();
    }

    fn next_item(&mut self) -> Result<Option<XmlItem>, XmlError> {
        loop {
            self.buffer.clear();
            let event = self.reader.read_event_into(&mut self.buffer);
            let event = match event {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.error(error)),
            };
            self.track_lines();
            match event {
                Event::Start(start) if !self.root_seen => {
                    self.root_seen = true;
                    self.open_elements = 1;
                    return Ok(Some(XmlItem::Root(local_name(&start))));
                }
                Event::Empty(start) if !self.root_seen => {
                    self.root_seen = true;
                    return Ok(Some(XmlItem::Root(local_name(&start))));
                }
                Event::Start(start) => {
                    let name = local_name(&start);
                    if self.record_names.contains(&name.as_str()) {
                        let element = self.read_subtree(&start, name)?;
                        return Ok(Some(XmlItem::Record(element)));
                    }
                    self.open_elements += 1;
                }
                Event::End(_) => self.open_elements = self.open_elements.saturating_sub(1),
                Event::Empty(start) => {
                    let name = local_name(&start);
                    if self.record_names.contains(&name.as_str()) {
                        let element = new_element(&start, name).map_err(|e| self.error(e))?;
                        return Ok(Some(XmlItem::Record(element)));
                    }
                }
                Event::Eof => {
                    if !self.root_seen {
                        return Err(self.error("no XML element found"));
                    }
                    if self.open_elements > 0 {
                        return Err(self.error("the document ends before its last element is closed (cut short?)"));
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    fn read_subtree(&mut self, start: &BytesStart<'_>, name: String) -> Result<Element, XmlError> {
        let mut stack = vec![new_element(start, name).map_err(|e| self.error(e))?];
        loop {
            self.buffer.clear();
            let event = match self.reader.read_event_into(&mut self.buffer) {
                Ok(event) => event.into_owned(),
                Err(error) => return Err(self.error(error)),
            };
            self.track_lines();
            match event {
                Event::Start(start) => {
                    let element = new_element(&start, local_name(&start)).map_err(|e| self.error(e))?;
                    stack.push(element);
                }
                Event::Empty(start) => {
                    let element = new_element(&start, local_name(&start)).map_err(|e| self.error(e))?;
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(element);
                    }
                }
                Event::End(_) => {
                    let Some(done) = stack.pop() else {
                        return Err(self.error("unbalanced end tag"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Event::Text(text) => {
                    let decoded = text.decode().map_err(|e| self.error(e))?;
                    let unescaped = quick_xml::escape::unescape(&decoded).map_err(|e| self.error(e))?;
                    push_text(&mut stack, &unescaped);
                }
                Event::CData(data) => {
                    let decoded = data.decode().map_err(|e| self.error(e))?;
                    push_text(&mut stack, &decoded);
                }
                Event::GeneralRef(reference) => {
                    let name = reference.decode().map_err(|e| self.error(e))?;
                    let resolved =
                        resolve_reference(&name).ok_or_else(|| self.error(format!("unknown entity &{name};")))?;
                    push_text(&mut stack, &resolved);
                }
                Event::Eof => return Err(self.error("document ends inside a record")),
                _ => {}
            }
        }
    }
}

impl<R: BufRead> Iterator for RecordStream<R> {
    type Item = Result<XmlItem, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.next_item() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}

fn push_text(stack: &mut [Element], text: &str) {
    if let Some(current) = stack.last_mut() {
        current.text.push_str(text);
    }
}

fn local_name(start: &BytesStart<'_>) -> String {
    String::from_utf8_lossy(start.local_name().as_ref()).into_owned()
}

fn new_element(start: &BytesStart<'_>, name: String) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute.unescape_value().map_err(|e| e.to_string())?.into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        text: String::new(),
    })
}

/// The five XML entities and numeric character references; anything else is an error.
fn resolve_reference(name: &str) -> Option<String> {
    let character = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(character.to_string())
}

//! Splitting one YAML file into documents and indexing where each value was written.
//!
//! Runs the `yaml-rust2` event parser over the whole file. For every document it
//! yields the line range it occupies (so the text can be handed to serde on its
//! own, with error positions shifted back by the start line) and a [`DocMap`]
//! from value paths to key/value positions. A syntax error ends the file: the
//! documents completed before it are kept, the error is returned with its position.

use crate::source_map::{DocMap, Pos, Span};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// One document of a file.
#[derive(Debug, Default)]
pub(crate) struct RawDoc {
    /// First line (1-based) of the document's text slice.
    pub start_line: usize,
    /// Position of the root node (its first key for a mapping); `None` for an empty document.
    pub root: Option<Pos>,
    pub map: DocMap,
    /// Keys given twice in one mapping: (mapping path, key, first, second).
    pub duplicates: Vec<(String, String, Pos, Pos)>,
    /// Whether the root node is a mapping.
    pub mapping: bool,
    /// `apiVersion` and `kind` at the root: `Some(text)` for a scalar, `None` otherwise.
    pub envelope: Vec<(String, Option<String>)>,
}

/// A syntax error that stopped the event parser.
#[derive(Debug)]
pub(crate) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// The documents of one file, plus the syntax error that ended it early, if any.
pub(crate) struct Split {
    pub docs: Vec<RawDoc>,
    pub error: Option<SyntaxError>,
    /// Start line of the document the syntax error interrupted.
    pub partial_start: Option<usize>,
}

pub(crate) fn split(text: &str) -> Split {
    let mut w = Walker::default();
    let mut parser = Parser::new_from_str(text);
    let error = parser.load(&mut w, true).err().map(|e| SyntaxError {
        pos: pos(e.marker()),
        message: e.info().to_string(),
    });
    Split {
        partial_start: w.cur.map(|d| d.start_line),
        docs: w.docs,
        error,
    }
}

fn pos(m: &Marker) -> Pos {
    // yaml-rust2 columns are 0-based; diagnostics are 1-based.
    Pos {
        line: m.line().max(1),
        column: m.col() + 1,
    }
}

enum Frame {
    /// A mapping at `path`; `key` holds the pending key while its value is awaited.
    Map {
        path: String,
        key: Option<(String, Pos)>,
        seen_key: bool,
        keys: HashMap<String, Pos>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

#[derive(Default)]
struct Walker {
    docs: Vec<RawDoc>,
    cur: Option<RawDoc>,
    stack: Vec<Frame>,
}

impl Walker {
    fn node(&mut self, ev: &Event, p: Pos) {
        let Some(doc) = self.cur.as_mut() else {
            return;
        };
        doc.start_line = doc.start_line.min(p.line);
        // Where does this node sit: root, sequence item, mapping key or mapping value?
        let (path, key_pos, is_key) = match self.stack.last_mut() {
            None => (String::new(), p, false),
            Some(Frame::Seq { path, next }) => {
                let child = format!("{path}[{next}]");
                *next += 1;
                (child, p, false)
            }
            Some(Frame::Map {
                path,
                key,
                seen_key,
                keys,
            }) if key.is_none() => {
                // A block mapping's start mark lies after its first key: the key is
                // where the mapping really begins.
                if !*seen_key {
                    *seen_key = true;
                    let mp = path.clone();
                    if let Some(span) = doc.map.get_mut(&mp) {
                        if p < span.value {
                            span.value = p;
                            if span.key > p {
                                span.key = p;
                            }
                        }
                    }
                    if mp.is_empty() {
                        doc.root = Some(doc.root.map_or(p, |r| r.min(p)));
                    }
                }
                let name = match ev {
                    Event::Scalar(s, ..) => s.clone(),
                    _ => "?".to_string(),
                };
                if let Some(first) = keys.get(&name) {
                    doc.duplicates.push((path.clone(), name.clone(), *first, p));
                } else if name != "?" {
                    keys.insert(name.clone(), p);
                }
                *key = Some((name, p));
                (join(path, "?"), p, true)
            }
            Some(Frame::Map { path, key, .. }) => {
                let (name, kp) = key.take().unwrap_or_default();
                (join(path, &name), kp, false)
            }
        };
        if !is_key {
            doc.map.insert(
                path.clone(),
                Span {
                    key: key_pos,
                    value: p,
                },
            );
            if path.is_empty() {
                doc.root = Some(p);
                doc.mapping = matches!(ev, Event::MappingStart(..));
            }
            if self.stack.len() == 1 && (path == "apiVersion" || path == "kind") {
                let text = match ev {
                    Event::Scalar(s, ..) => Some(s.clone()),
                    _ => None,
                };
                doc.envelope.push((path.clone(), text));
            }
        }
        match ev {
            Event::MappingStart(..) => self.stack.push(Frame::Map {
                path,
                key: None,
                seen_key: false,
                keys: HashMap::new(),
            }),
            Event::SequenceStart(..) => self.stack.push(Frame::Seq { path, next: 0 }),
            _ => {}
        }
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, m: Marker) {
        let p = pos(&m);
        match ev {
            Event::DocumentStart => {
                self.stack.clear();
                self.cur = Some(RawDoc {
                    start_line: p.line,
                    ..RawDoc::default()
                });
            }
            Event::DocumentEnd => {
                if let Some(d) = self.cur.take() {
                    self.docs.push(d);
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            Event::Scalar(..) | Event::Alias(_) | Event::MappingStart(..) => self.node(&ev, p),
            Event::SequenceStart(..) => self.node(&ev, p),
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(d: &RawDoc, path: &str) -> (usize, usize) {
        let s = d.map.get(path).unwrap_or_else(|| panic!("no {path}"));
        (s.value.line, s.value.column)
    }

    #[test]
    fn indexes_nested_paths_with_positions() {
        let text = "# comment\na: 1\nspec:\n  hosts:\n    - name: x\n      port: 22\n---\nb: [1, {c: 2}]\n";
        let s = split(text);
        assert!(s.error.is_none());
        assert_eq!(s.docs.len(), 2);
        let d = &s.docs[0];
        assert_eq!(d.root, Some(Pos { line: 2, column: 1 }));
        assert_eq!(value(d, "a"), (2, 4));
        assert_eq!(value(d, "spec"), (4, 3));
        assert_eq!(value(d, "spec.hosts[0]"), (5, 7));
        assert_eq!(value(d, "spec.hosts[0].port"), (6, 13));
        let k = d.map.get("spec.hosts[0].port").unwrap().key;
        assert_eq!((k.line, k.column), (6, 7));
        let d = &s.docs[1];
        assert_eq!(d.start_line, 7);
        assert_eq!(value(d, "b[1].c"), (8, 12));
        assert!(s.docs[0].mapping);
        assert_eq!(s.docs[0].envelope, []);
        assert!(s.docs.iter().all(|d| d.duplicates.is_empty()));
    }

    #[test]
    fn duplicate_keys_are_found_with_both_positions() {
        let s = split("a:\n  b: 1\n  b: 2\n");
        let (path, key, first, second) = &s.docs[0].duplicates[0];
        assert_eq!((path.as_str(), key.as_str()), ("a", "b"));
        assert_eq!((first.line, second.line, second.column), (2, 3, 3));
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let s = split("a: 1\n---\nb: [1, 2\n");
        assert_eq!(s.docs.len(), 1);
        let e = s.error.expect("error");
        assert_eq!(e.pos.line, 4);
    }
}

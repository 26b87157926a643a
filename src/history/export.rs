//! The history's vectors as JSON lines: `history export` writes every stored paper's, and
//! `embed` a text file's, in the one shape other tools read.

use std::io::Write;

use serde_json::{Map, Value};

use super::History;

/// One line: `fields` in their order, then `embedding`.
pub fn write_vector_line(
    w: &mut dyn Write,
    mut fields: Map<String, Value>,
    vector: &[f32],
) -> std::io::Result<()> {
    fields.insert("embedding".into(), Value::from(vector.to_vec()));
    serde_json::to_writer(&mut *w, &Value::Object(fields))?;
    w.write_all(b"\n")
}

impl History {
    /// Every paper with its vector (`id`, `date`, `title`, `embedding`), in the order they
    /// were added, streamed: a history of millions of papers is gigabytes of JSON.
    pub fn export(&self, w: &mut dyn Write) -> std::io::Result<usize> {
        for paper in self.papers() {
            let vector = self
                .vector(&paper.id)
                .expect("every listed paper has a vector");
            let mut fields = Map::new();
            fields.insert("id".into(), Value::from(paper.id.to_string()));
            fields.insert(
                "date".into(),
                Value::from(paper.date.map(|d| d.to_string())),
            );
            fields.insert("title".into(), Value::from(paper.title.clone()));
            write_vector_line(w, fields, &vector)?;
        }
        Ok(self.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_vector_is_written_as_serde_writes_a_slice_of_f32() {
        // `history export` wrote `json!({"embedding": &*vector})`; the shared line must be
        // byte-identical to it.
        let v = [0.1f32, -0.333_333_34, 1e-7, 0.0, 1.0];
        let line = serde_json::to_string(&super::Value::from(v.to_vec())).unwrap();
        assert_eq!(line, serde_json::json!(&v[..]).to_string());
    }
}

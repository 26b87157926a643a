//! What every request arxrank makes has in common, below both `fetch` (arXiv) and `deliver`
//! (webhooks), so neither needs the other.

/// The User-Agent arxrank sends: its name and version and, when configured, whom to contact.
pub fn user_agent(contact: Option<&str>) -> String {
    match contact {
        Some(c) => format!(
            "arxrank/{} (local arXiv ranking; mailto:{c})",
            env!("CARGO_PKG_VERSION")
        ),
        None => format!(
            "arxrank/{} (local arXiv ranking)",
            env!("CARGO_PKG_VERSION")
        ),
    }
}

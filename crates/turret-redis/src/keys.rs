//! The names of the store's keys and channels.

/// Builds every key from the prefix, so the layout lives in one place.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    /// The hash of a session: its record, log level and subscriptions.
    pub(crate) fn session(&self, id: &str) -> String {
        format!("{}:session:{id}", self.prefix)
    }

    /// The Redis stream holding the events of an SSE stream.
    pub(crate) fn events(&self, stream: &str) -> String {
        format!("{}:events:{stream}", self.prefix)
    }

    /// The key whose existence says a replica is alive.
    pub(crate) fn node(&self, node: &str) -> String {
        format!("{}:node:{node}", self.prefix)
    }

    /// The pub/sub channel of the answers meant for a replica.
    pub(crate) fn answers(&self, node: &str) -> String {
        format!("{}:answers:{node}", self.prefix)
    }
}

//! One shared copy of each distinct attribute set: routes of one UPDATE, and of UPDATEs with
//! identical attributes, point to the same `Arc`, which keeps the table small and lets the
//! UPDATE packer group routes by pointer.

use std::collections::HashSet;
use std::sync::Arc;

use bagpipe_wire::attr::AttributeSet;

#[derive(Default)]
pub struct Interner {
    sets: HashSet<Arc<AttributeSet>>,
    /// Size after the last purge: purge again when it doubles.
    purged_at: usize,
}

impl Interner {
    pub fn intern(&mut self, attrs: AttributeSet) -> Arc<AttributeSet> {
        if let Some(existing) = self.sets.get(&attrs) {
            return Arc::clone(existing);
        }
        let a = Arc::new(attrs);
        self.sets.insert(Arc::clone(&a));
        if self.sets.len() > 2 * self.purged_at.max(1024) {
            self.purge();
        }
        a
    }

    /// Forgets sets no route uses any more.
    pub fn purge(&mut self) {
        self.sets.retain(|a| Arc::strong_count(a) > 1);
        self.purged_at = self.sets.len();
    }
}

//! Identifier allocators with release, as the original's: MPLS labels (and VNIs), route
//! distinguisher numbers, and what each allocation is for (`D`: the looking glass shows a
//! description of each label; RD numbers are shown nowhere and record nothing, which spares
//! a string per port).

use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no free identifier left (maximum {max})")]
pub struct Exhausted {
    pub max: u32,
}

#[derive(Debug, Clone)]
pub struct IdAllocator<D> {
    min: u32,
    max: u32,
    next: u32,
    allocated: BTreeMap<u32, D>,
    /// Released identifiers are reused only once the range is exhausted, oldest first, so
    /// that a label freshly released is not handed out again while peers may still use it.
    released: VecDeque<u32>,
}

impl<D> IdAllocator<D> {
    pub fn new(min: u32, max: u32) -> Self {
        IdAllocator {
            min,
            max,
            next: min,
            allocated: BTreeMap::new(),
            released: VecDeque::new(),
        }
    }

    pub fn allocate(&mut self, description: D) -> Result<u32, Exhausted> {
        let id = if self.next <= self.max {
            let id = self.next;
            self.next += 1;
            while self.allocated.contains_key(&self.next) {
                self.next += 1;
            }
            id
        } else {
            self.released
                .pop_front()
                .ok_or(Exhausted { max: self.max })?
        };
        self.allocated.insert(id, description);
        Ok(id)
    }

    /// Takes a given identifier (a VNI chosen by the API); false when already taken.
    pub fn reserve(&mut self, id: u32, description: D) -> bool {
        if self.allocated.contains_key(&id) {
            return false;
        }
        self.released.retain(|r| *r != id);
        self.allocated.insert(id, description);
        true
    }

    pub fn release(&mut self, id: u32) {
        if self.allocated.remove(&id).is_some() && id >= self.min && id <= self.max {
            self.released.push_back(id);
        }
    }

    pub fn allocated(&self) -> &BTreeMap<u32, D> {
        &self.allocated
    }

    /// MPLS labels: 16 and above (0–15 are reserved), 20 bits.
    pub fn labels() -> Self {
        Self::new(16, (1 << 20) - 1)
    }

    /// The number part of `address:N` route distinguishers (type 1: 16 bits).
    pub fn route_distinguishers() -> Self {
        Self::new(0, u16::MAX as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_then_reuse_after_exhaustion() {
        let mut a: IdAllocator<&str> = IdAllocator::new(16, 18);
        assert_eq!(a.allocate("a").unwrap(), 16);
        assert_eq!(a.allocate("b").unwrap(), 17);
        a.release(16);
        assert_eq!(a.allocate("c").unwrap(), 18);
        assert_eq!(a.allocate("d").unwrap(), 16);
        assert!(a.allocate("e").is_err());
        assert!(!a.reserve(17, "taken"));
        a.release(17);
        assert!(a.reserve(17, "again"));
    }
}

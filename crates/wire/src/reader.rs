//! A bounds-checked cursor over message bytes that remembers absolute offsets, so that every
//! decode error can name the byte where it happened.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Not enough bytes were left: where the read started and how many were wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short {
    pub offset: usize,
    pub wanted: usize,
    pub left: usize,
}

#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute offset of `buf[0]` within the message.
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if n > self.remaining() {
            return Err(Short {
                offset: self.offset(),
                wanted: n,
                left: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// A sub-reader over the next `n` bytes, keeping absolute offsets.
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, Short> {
        let base = self.offset();
        Ok(Reader::new(self.take(n)?, base))
    }

    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], Short> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.array::<1>()?[0])
    }

    pub fn u16(&mut self) -> Result<u16, Short> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub fn ipv4(&mut self) -> Result<Ipv4Addr, Short> {
        Ok(Ipv4Addr::from(self.array::<4>()?))
    }

    pub fn ipv6(&mut self) -> Result<Ipv6Addr, Short> {
        Ok(Ipv6Addr::from(self.array::<16>()?))
    }
}

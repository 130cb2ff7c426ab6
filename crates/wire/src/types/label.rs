//! The 3-octet label fields of VPN and E-VPN NLRI.
//!
//! The field is kept raw (24 bits) because its meaning depends on the encapsulation: an MPLS
//! label (20 bits, then 3 bits of traffic class and the bottom-of-stack bit, RFC 3107), or a
//! VXLAN VNI filling all 24 bits (RFC 8365 §5.1.3, as FRR and GoBGP send it).

use std::fmt;

use smallvec::SmallVec;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Label(u32);

impl Label {
    /// The withdrawal label of RFC 8277 §2.4 (0x800000), also the "no label" value.
    pub const WITHDRAWN: Label = Label(0x80_0000);

    /// A raw 24-bit field (the upper 8 bits of `raw` are dropped).
    pub const fn from_raw(raw: u32) -> Self {
        Label(raw & 0xff_ffff)
    }

    /// An MPLS label entry: value in the top 20 bits, bottom-of-stack in the lowest bit.
    pub const fn mpls(value: u32, bottom_of_stack: bool) -> Self {
        Label(((value & 0xf_ffff) << 4) | bottom_of_stack as u32)
    }

    /// A VXLAN network identifier carried in the whole 24-bit field (RFC 8365).
    pub const fn vni(vni: u32) -> Self {
        Label::from_raw(vni)
    }

    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The MPLS label value (20 bits).
    pub const fn mpls_value(self) -> u32 {
        self.0 >> 4
    }

    pub const fn bottom_of_stack(self) -> bool {
        self.0 & 1 == 1
    }

    pub fn to_bytes(self) -> [u8; 3] {
        let b = self.0.to_be_bytes();
        [b[1], b[2], b[3]]
    }

    pub fn from_bytes(b: [u8; 3]) -> Self {
        Label(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label(0x{:06x})", self.0)
    }
}

impl serde::Serialize for Label {
    /// Shown with both readings, since the wire alone cannot tell MPLS label from VNI.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("mpls_label", &self.mpls_value())?;
        m.serialize_entry("bottom_of_stack", &self.bottom_of_stack())?;
        m.serialize_entry("raw", &self.0)?;
        m.end()
    }
}

/// A label stack as carried in VPN NLRI (RFC 3107/8277); almost always one entry.
pub type LabelStack = SmallVec<[Label; 1]>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpls_and_vni_readings() {
        let l = Label::mpls(200, true);
        assert_eq!(l.to_bytes(), [0x00, 0x0c, 0x81]);
        assert_eq!(l.mpls_value(), 200);
        assert!(l.bottom_of_stack());
        let v = Label::vni(0x01_2345);
        assert_eq!(v.to_bytes(), [0x01, 0x23, 0x45]);
        assert_eq!(Label::from_bytes(v.to_bytes()), v);
    }
}

//! The `--ip` and `--gateway-ip` defaults of the original.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `--ip` with `/24` appended when it has no prefix length.
pub fn with_default_length(ip: &str) -> String {
    let has_length = ip
        .rsplit_once('/')
        .is_some_and(|(_, len)| !len.is_empty() && len.bytes().all(|b| b.is_ascii_digit()));
    if has_length {
        ip.to_owned()
    } else {
        format!("{ip}/24")
    }
}

/// The gateway the original chose when given none: the last address of the subnet but one
/// (`10.0.0.254` for `10.0.0.1/24`).
pub fn default_gateway(prefix: &str) -> Result<IpAddr, String> {
    let bad = || format!("invalid --ip {prefix:?}: expected an address with a prefix length");
    let (addr, len) = prefix.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u32 = len.parse().map_err(|_| bad())?;
    let bits = if addr.is_ipv4() { 32 } else { 128 };
    if len > bits {
        return Err(bad());
    }
    if len == bits {
        return Err(format!(
            "no gateway address in {prefix} (a single address): give --gateway-ip"
        ));
    }
    let host_mask = u128::MAX >> (128 - (bits - len));
    Ok(match addr {
        IpAddr::V4(a) => Ipv4Addr::from(((u32::from(a) as u128 | host_mask) - 1) as u32).into(),
        IpAddr::V6(a) => Ipv6Addr::from((u128::from(a) | host_mask) - 1).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_length_is_24() {
        assert_eq!(with_default_length("10.0.0.1"), "10.0.0.1/24");
        assert_eq!(with_default_length("10.0.0.1/32"), "10.0.0.1/32");
        assert_eq!(with_default_length("2001:db8::1/64"), "2001:db8::1/64");
        assert_eq!(with_default_length("10.0.0.1/"), "10.0.0.1//24");
    }

    /// Expected values are what the original's `netaddr.IPNetwork(ip)[-2]` gives.
    #[test]
    fn gateway_is_last_address_but_one() {
        let cases = [
            ("10.0.0.1/24", "10.0.0.254"),
            ("192.168.7.200/16", "192.168.255.254"),
            ("10.0.0.9/30", "10.0.0.10"),
            ("10.0.0.1/31", "10.0.0.0"),
            ("0.0.0.0/0", "255.255.255.254"),
            ("2001:db8::1/64", "2001:db8::ffff:ffff:ffff:fffe"),
        ];
        for (ip, gw) in cases {
            assert_eq!(default_gateway(ip).unwrap().to_string(), gw, "{ip}");
        }
        for bad in ["10.0.0.1/32", "10.0.0.1/33", "nonsense/24", "10.0.0.1"] {
            assert!(default_gateway(bad).is_err(), "{bad}");
        }
    }
}

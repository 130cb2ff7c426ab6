//! `fallback`: on a VRF lookup miss, rewrite the MAC addresses and send the packet back out
//! of an OVS port (the Neutron OVS agent uses it to hand traffic back to the Neutron router).
//!
//! ```json
//! {"src_mac": "00:00:5e:2a:10:00", "dst_mac": "fa:16:3e:00:00:01", "ovs_port_number": 6}
//! ```
//!
//! The original's OVS driver logged an error and ignored a fallback missing `src_mac`,
//! `dst_mac` or `ovs_port_number`; the fields are optional here too, for the driver to judge.

use bagpipe_wire::MacAddress;

use super::address::parse_mac;
use super::fields::Fields;
use super::RequestError;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fallback {
    pub src_mac: Option<MacAddress>,
    pub dst_mac: Option<MacAddress>,
    pub ovs_port_name: Option<String>,
    pub ovs_port_number: Option<u32>,
    /// `(<port>,<table>)`, documented by the original as not supported yet.
    pub ovs_resubmit: Option<String>,
}

/// `fallback`, `None` when absent, `null` or `{}`.
pub(crate) fn fallback(body: &Fields) -> Result<Option<Fallback>, RequestError> {
    let Some(f) = body.object("fallback")? else {
        return Ok(None);
    };
    let fallback = Fallback {
        src_mac: f.parsed("src_mac", parse_mac)?,
        dst_mac: f.parsed("dst_mac", parse_mac)?,
        ovs_port_name: f.string("ovs_port_name")?,
        ovs_port_number: f.uint("ovs_port_number", 0..=u32::MAX)?,
        ovs_resubmit: f.string("ovs_resubmit")?,
    };
    Ok((fallback != Fallback::default()).then_some(fallback))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn read(v: Value) -> Result<Option<Fallback>, RequestError> {
        let body = json!({ "fallback": v });
        fallback(&Fields::body(&body).unwrap())
    }

    #[test]
    fn fallback_of_the_ovs_agent() {
        let f = read(
            json!({"dst_mac": "fa:16:3e:00:00:01", "src_mac": "00:00:5e:2a:10:00",
                            "ovs_port_number": 6}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.src_mac.unwrap().to_string(), "00:00:5e:2a:10:00");
        assert_eq!(f.dst_mac.unwrap().to_string(), "fa:16:3e:00:00:01");
        assert_eq!(f.ovs_port_number, Some(6));
        assert_eq!(f.ovs_port_name, None);
    }

    #[test]
    fn port_name_form() {
        let f = read(
            json!({"src_mac": "aa:bb:cc:dd:ee:ff", "dst_mac": "aa:bb:cc:dd:ee:00",
                            "ovs_port_name": "patch_foo"}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.ovs_port_name.as_deref(), Some("patch_foo"));
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(read(json!({})).unwrap(), None);
        assert_eq!(read(Value::Null).unwrap(), None);
    }

    #[test]
    fn errors_name_the_field() {
        for (body, field) in [
            (json!({"src_mac": "zz"}), "fallback.src_mac"),
            (json!({"dst_mac": 5}), "fallback.dst_mac"),
            (
                json!({"ovs_port_number": "six"}),
                "fallback.ovs_port_number",
            ),
            (json!("x"), "fallback"),
        ] {
            assert_eq!(read(body.clone()).unwrap_err().field, field, "{body}");
        }
    }
}

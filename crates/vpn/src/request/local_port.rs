//! `local_port`: what gets plugged into the VPN instance. Either a string (the name of a
//! Linux interface) or an object:
//!
//! ```json
//! {"linuxif": "tap456abc",
//!  "ovs": {"plugged": true, "port_name": "qvo456abc", "port_number": "7", "vlan": "42",
//!          "to_vm_port_number": 8, "to_vm_port_name": "qvo789"},
//!  "evpn": {"id": "evpn-net1", "ovs_port_name": "qvb456abc"},
//!  "vlan": 42}
//! ```
//!
//! `linuxif` need not name a real interface when OVS information is given (the Neutron OVS
//! agent sends `patch2tun:<vlan>`). `evpn` plugs an existing E-VPN instance into an IP VPN
//! instead of an interface. The top-level `vlan` is what the Neutron OVS agent sends for
//! E-VPN attachments.

use serde_json::Value;

use super::fields::Fields;
use super::RequestError;

/// Largest OpenFlow port number (OpenFlow 1.3 ports are 32-bit).
const OFPORT_MAX: u32 = u32::MAX;
const VLAN_MAX: u16 = 4095;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPort {
    /// The Linux interface; absent only when `evpn` is given.
    pub linuxif: Option<String>,
    /// Boxed, as `evpn`: most ports have neither, and every endpoint keeps its port.
    pub ovs: Option<Box<OvsPort>>,
    pub evpn: Option<Box<EvpnPlug>>,
    /// The VLAN of the port on the integration bridge (E-VPN attachments of the OVS agent).
    pub vlan: Option<u16>,
}

/// How the port is (or is to be) plugged into Open vSwitch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OvsPort {
    /// The port is already plugged into the bridge: do not add it.
    pub plugged: bool,
    pub port_name: Option<String>,
    pub port_number: Option<u32>,
    /// Only the traffic of this VLAN is attached.
    pub vlan: Option<u16>,
    /// A distinct port toward the VM (only used with `vlan`).
    pub to_vm_port_number: Option<u32>,
    pub to_vm_port_name: Option<String>,
}

/// An E-VPN instance to plug into an IP VPN instance in place of an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvpnPlug {
    /// The `vpn_instance_id` of the E-VPN instance.
    pub id: String,
    /// An OVS port already plugged into the E-VPN; requires `ovs.plugged` and an OVS port.
    pub ovs_port_name: Option<String>,
}

impl LocalPort {
    /// A plain Linux interface.
    pub fn interface(name: impl Into<String>) -> Self {
        LocalPort {
            linuxif: Some(name.into()),
            ovs: None,
            evpn: None,
            vlan: None,
        }
    }
}

pub(crate) fn local_port(fields: &Fields) -> Result<LocalPort, RequestError> {
    const KEY: &str = "local_port";
    match fields.get(KEY) {
        None => Err(fields.error(KEY, "missing parameter")),
        Some(Value::String(name)) if name.is_empty() => Err(fields.error(KEY, "must not be empty")),
        Some(Value::String(name)) => Ok(LocalPort::interface(name.clone())),
        Some(Value::Object(_)) => {
            let port = local_port_object(&fields.object(KEY)?.expect("an object"))?;
            if port.linuxif.is_none() && port.evpn.is_none() {
                return Err(fields.error(KEY, "mandatory key missing: 'linuxif' or 'evpn'"));
            }
            Ok(port)
        }
        Some(_) => Err(fields.error(
            KEY,
            "must be an interface name or an object with 'linuxif' or 'evpn'",
        )),
    }
}

fn local_port_object(port: &Fields) -> Result<LocalPort, RequestError> {
    let linuxif = port.string("linuxif")?;
    let evpn = match port.object("evpn")? {
        None => None,
        Some(evpn) => Some(EvpnPlug {
            id: evpn.required("id", Fields::string)?,
            ovs_port_name: evpn.string("ovs_port_name")?,
        }),
    };
    let ovs = match port.object("ovs")? {
        None => None,
        Some(ovs) => Some(OvsPort {
            plugged: ovs.loose_bool("plugged")?.unwrap_or(false),
            port_name: ovs.string("port_name")?,
            port_number: ovs.uint("port_number", 0..=OFPORT_MAX)?,
            vlan: ovs.uint("vlan", 0..=VLAN_MAX)?,
            to_vm_port_number: ovs.uint("to_vm_port_number", 0..=OFPORT_MAX)?,
            to_vm_port_name: ovs.string("to_vm_port_name")?,
        }),
    };
    Ok(LocalPort {
        linuxif,
        ovs: ovs.map(Box::new),
        evpn: evpn.map(Box::new),
        vlan: port.uint("vlan", 0..=VLAN_MAX)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(v: Value) -> Result<LocalPort, RequestError> {
        let body = json!({ "local_port": v });
        local_port(&Fields::body(&body).unwrap())
    }

    #[test]
    fn a_string_is_a_linux_interface() {
        assert_eq!(read(json!("tapB2")).unwrap(), LocalPort::interface("tapB2"));
        assert_eq!(
            read(json!({"linuxif": "tapA1"})).unwrap(),
            LocalPort::interface("tapA1")
        );
    }

    #[test]
    fn ovs_details_with_numbers_as_strings() {
        let port = read(json!({
            "linuxif": "patch2tun:5",
            "ovs": {"plugged": true, "port_number": "7", "vlan": "42", "port_name": "qvo1",
                    "to_vm_port_number": 8, "to_vm_port_name": "qvo2"}
        }))
        .unwrap();
        assert_eq!(
            port.ovs.as_deref(),
            Some(&OvsPort {
                plugged: true,
                port_name: Some("qvo1".into()),
                port_number: Some(7),
                vlan: Some(42),
                to_vm_port_number: Some(8),
                to_vm_port_name: Some("qvo2".into()),
            })
        );
    }

    #[test]
    fn plugged_given_as_a_string() {
        for (given, want) in [
            (json!("True"), true),
            (json!("false"), false),
            (json!(1), true),
            (Value::Null, false),
        ] {
            let port = read(json!({"linuxif": "x", "ovs": {"plugged": given}})).unwrap();
            assert_eq!(port.ovs.unwrap().plugged, want);
        }
        let err = read(json!({"linuxif": "x", "ovs": {"plugged": "maybe"}})).unwrap_err();
        assert_eq!(err.field, "local_port.ovs.plugged");
    }

    #[test]
    fn evpn_plug() {
        let port = read(json!({"evpn": {"id": "evpn_net1"}})).unwrap();
        assert_eq!(port.linuxif, None);
        assert_eq!(
            port.evpn.as_deref(),
            Some(&EvpnPlug {
                id: "evpn_net1".into(),
                ovs_port_name: None
            })
        );
        let err = read(json!({"evpn": {}})).unwrap_err();
        assert_eq!(err.field, "local_port.evpn.id");
    }

    #[test]
    fn top_level_vlan_of_the_ovs_agent() {
        let port = read(json!({"linuxif": "patch2tun:5", "vlan": 5})).unwrap();
        assert_eq!(port.vlan, Some(5));
    }

    #[test]
    fn errors_name_the_field() {
        for (body, field) in [
            (json!(null), "local_port"),
            (json!(""), "local_port"),
            (json!(42), "local_port"),
            (json!(["tap1"]), "local_port"),
            (json!({}), "local_port"),
            (json!({"linuxif": ""}), "local_port"),
            (json!({"linuxif": 3}), "local_port.linuxif"),
            (json!({"linuxif": "t", "vlan": 4096}), "local_port.vlan"),
            (json!({"linuxif": "t", "ovs": "x"}), "local_port.ovs"),
            (
                json!({"linuxif": "t", "ovs": {"vlan": "x"}}),
                "local_port.ovs.vlan",
            ),
            (
                json!({"linuxif": "t", "ovs": {"port_number": -1}}),
                "local_port.ovs.port_number",
            ),
            (json!({"evpn": "x"}), "local_port.evpn"),
        ] {
            assert_eq!(read(body.clone()).unwrap_err().field, field, "{body}");
        }
    }
}

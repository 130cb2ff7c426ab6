//! The JSON body POSTed to `/attach_localport` and `/detach_localport`: the original's
//! fields in the original's order, written with Python's `json.dumps` separators
//! (`", "` and `": "`), so that the printed request reads the same.
//!
//! One difference: the FlowSpec "to" route targets are sent as `attract_traffic.to_rt`,
//! which the daemon reads; the original sent them as `attract_traffic.to`, which its daemon
//! ignored (so `--attract-to-rt` had no effect).

use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct PortRequest {
    pub import_rt: Vec<String>,
    pub export_rt: Vec<String>,
    pub local_port: LocalPort,
    pub vpn_instance_id: String,
    pub vpn_type: &'static str,
    pub gateway_ip: String,
    pub mac_address: String,
    pub ip_address: String,
    pub advertise_subnet: bool,
    /// `null` when not re-advertising, as the original sent it.
    pub readvertise: Option<Readvertise>,
    /// `{}` when not attracting traffic.
    pub attract_traffic: AttractTraffic,
    pub lb_consistent_hash_order: i64,
    pub vni: i64,
    /// Left out when not given or 0 (the original tested it for truth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_pref: Option<i64>,
    pub direction: &'static str,
}

/// `{"linuxif": ...}` with `ovs` when pre-plugged, or `{"evpn": {"id": ...}}`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalPort {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evpn: Option<EvpnRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linuxif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ovs: Option<OvsPort>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct EvpnRef {
    pub id: String,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct OvsPort {
    pub port_name: String,
    pub plugged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Readvertise {
    pub from_rt: Vec<String>,
    pub to_rt: Vec<String>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct AttractTraffic {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_rts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classifier: Option<Classifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_rt: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_destination_prefixes: Option<Vec<String>>,
}

#[derive(Serialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Classifier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_port: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

impl PortRequest {
    /// The JSON text, as Python's `json.dumps` writes it.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
        self.serialize(&mut ser)
            .expect("serializing to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// serde_json's compact output with a space after `,` and `:`.
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(w, first)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        separator(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// `, ` before every item of a list or an object but the first.
fn separator<W: ?Sized + io::Write>(w: &mut W, first: bool) -> io::Result<()> {
    if first {
        Ok(())
    } else {
        w.write_all(b", ")
    }
}

//! The attach and detach requests of the REST API (`POST /attach_localport`,
//! `POST /detach_localport`), read from their JSON bodies into typed, validated values.
//!
//! The accepted forms and defaults are the original bagpipe-bgp's (its
//! `validate_convert_*_params` and what its VPN manager and instances later insisted on),
//! so that the Neutron agents and `bagpipe-rest-attach` work unchanged. Where the original
//! answered a malformed value with a 500 or failed later in a worker thread, the error is
//! reported here, naming the field. Fields that no version of the original read are
//! ignored. Differences with the original are all of the "accepts more" kind: more route
//! target and MAC spellings, numbers given as strings, `null` read as "not given".

mod address;
mod classifier;
mod fallback;
mod fields;
mod local_port;
mod readvertise;
mod route_targets;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

use bagpipe_wire::{MacAddress, RouteTarget};
use serde_json::Value;

pub use address::IpWithLength;
pub use classifier::{IpProtocol, PortMatch, TrafficClassifier};
pub use fallback::Fallback;
pub use local_port::{EvpnPlug, LocalPort, OvsPort};
pub use readvertise::{AttractTraffic, Readvertise};

use address::parse_mac;
use fields::Fields;
use route_targets::required_route_targets;

/// A request field that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct RequestError {
    /// The field, dotted for nested ones (`attract_traffic.classifier.sourcePort`); empty
    /// when the body as a whole is wrong (not a JSON object).
    pub field: String,
    pub reason: String,
}

impl RequestError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        RequestError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn message(&self) -> String {
        match self.field.as_str() {
            "" => self.reason.clone(),
            field => format!("{field}: {}", self.reason),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VpnType {
    /// `ipvpn`: an IP VPN VRF (RFC 4364).
    Ipvpn,
    /// `evpn`: an E-VPN instance (RFC 7432).
    Evpn,
}

impl VpnType {
    pub fn as_str(self) -> &'static str {
        match self {
            VpnType::Ipvpn => "ipvpn",
            VpnType::Evpn => "evpn",
        }
    }
}

impl fmt::Display for VpnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way traffic flows between the port and the VPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `to-port`: only traffic toward the port (routes are advertised).
    ToPort,
    /// `from-port`: only traffic from the port (no route is advertised).
    FromPort,
    /// `both`, the default.
    #[default]
    Both,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ToPort => "to-port",
            Direction::FromPort => "from-port",
            Direction::Both => "both",
        }
    }

    /// Traffic to the port is forwarded, so routes to it are advertised.
    pub fn to_port(self) -> bool {
        self != Direction::FromPort
    }

    /// Traffic from the port is forwarded into the VPN.
    pub fn from_port(self) -> bool {
        self != Direction::ToPort
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Largest VXLAN network identifier (24 bits).
pub const VNI_MAX: u32 = 0xff_ffff;

/// `POST /attach_localport`: plug an endpoint (MAC, IP) of a port into a VPN instance,
/// creating the instance on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachRequest {
    pub vpn_type: VpnType,
    /// The client's name for the VPN instance; attachments with the same one share it.
    pub vpn_instance_id: String,
    pub mac_address: MacAddress,
    /// The endpoint's address and subnet length; always present for `ipvpn`.
    pub ip_address: Option<IpWithLength>,
    /// The subnet gateway. `ipvpn` requires the field, though it may be `null` (the
    /// Neutron agent sends `null` for a subnet without gateway).
    pub gateway_ip: Option<IpAddr>,
    pub local_port: LocalPort,
    pub import_rts: Vec<RouteTarget>,
    pub export_rts: Vec<RouteTarget>,
    /// Advertise the whole subnet of `ip_address` instead of the /32.
    pub advertise_subnet: bool,
    pub direction: Direction,
    /// A VNI chosen by the client instead of allocated (`0` or absent: allocate).
    pub vni: Option<u32>,
    /// LOCAL_PREF of the routes to this endpoint; `None` and `Some(0)` advertise 100, as
    /// in the original (which also shows the value as given in the looking glass).
    pub local_pref: Option<u32>,
    /// Value of the consistent-hash sort order extended community (load balancing).
    pub lb_consistent_hash_order: u32,
    /// An existing Linux bridge the interface is already plugged in (`evpn` only).
    pub linuxbr: Option<String>,
    /// Free-form description of the attachment (any JSON: the Neutron agent sends an
    /// object).
    pub description: Option<Value>,
    /// Free-form description of the VPN instance.
    pub instance_description: Option<Value>,
    pub readvertise: Option<Readvertise>,
    pub attract_traffic: Option<AttractTraffic>,
    pub fallback: Option<Fallback>,
}

/// `POST /detach_localport`: unplug an endpoint from a VPN instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachRequest {
    pub vpn_type: VpnType,
    pub vpn_instance_id: String,
    pub mac_address: MacAddress,
    /// Always present for `ipvpn`; for `evpn`, `None` detaches every IP address of the MAC.
    pub ip_address: Option<IpWithLength>,
    /// Validated as for an attach; the original identified the endpoint by MAC and IP and
    /// only looked here for `evpn` (an E-VPN plugged into an IP VPN).
    pub local_port: LocalPort,
}

/// The fields attach and detach share, read and checked the same way.
struct Common {
    vpn_type: VpnType,
    vpn_instance_id: String,
    mac_address: MacAddress,
    ip_address: Option<IpWithLength>,
    local_port: LocalPort,
}

fn common(body: &Fields) -> Result<Common, RequestError> {
    let vpn_type = match body.get("vpn_type") {
        None => return Err(body.error("vpn_type", "missing parameter")),
        Some(Value::String(s)) if s == "ipvpn" => VpnType::Ipvpn,
        Some(Value::String(s)) if s == "evpn" => VpnType::Evpn,
        Some(other) => {
            return Err(body.error(
                "vpn_type",
                format!("unknown vpn_type {other}: use \"ipvpn\" or \"evpn\""),
            ))
        }
    };
    let vpn_instance_id = body.required("vpn_instance_id", Fields::string)?;
    let mac_address = body.required("mac_address", |f, k| f.parsed(k, parse_mac))?;
    let local_port = local_port::local_port(body)?;
    let ip_address = body.parsed("ip_address", str::parse::<IpWithLength>)?;
    if vpn_type == VpnType::Ipvpn && ip_address.is_none() {
        return Err(body.error("ip_address", "missing parameter (required for ipvpn)"));
    }
    Ok(Common {
        vpn_type,
        vpn_instance_id,
        mac_address,
        ip_address,
        local_port,
    })
}

impl AttachRequest {
    pub fn from_json(body: &Value) -> Result<Self, RequestError> {
        let body = Fields::body(body)?;
        let Common {
            vpn_type,
            vpn_instance_id,
            mac_address,
            ip_address,
            local_port,
        } = common(&body)?;
        check_port_for_type(vpn_type, &local_port)?;
        let gateway_ip = body.parsed("gateway_ip", |s| {
            s.parse::<IpAddr>()
                .map_err(|_| format!("invalid IP address {s:?}"))
        })?;
        if vpn_type == VpnType::Ipvpn && !body.has("gateway_ip") {
            return Err(body.error("gateway_ip", "missing parameter (required for ipvpn)"));
        }
        let readvertise = readvertise::readvertise(&body)?;
        let attract_traffic = readvertise::attract_traffic(&body, readvertise.as_ref())?;
        Ok(AttachRequest {
            vpn_type,
            vpn_instance_id,
            mac_address,
            ip_address,
            gateway_ip,
            local_port,
            import_rts: required_route_targets(&body, "import_rt")?,
            export_rts: required_route_targets(&body, "export_rt")?,
            advertise_subnet: body.strict_bool("advertise_subnet")?.unwrap_or(false),
            direction: direction(&body)?,
            vni: body.uint("vni", 0..=VNI_MAX)?.filter(|vni| *vni != 0),
            local_pref: body.uint("local_pref", 0..=u32::MAX)?,
            lb_consistent_hash_order: body
                .uint("lb_consistent_hash_order", 0..=u32::MAX)?
                .unwrap_or(0),
            linuxbr: body.string("linuxbr")?,
            description: body.any("description"),
            instance_description: body.any("instance_description"),
            readvertise,
            attract_traffic,
            fallback: fallback::fallback(&body)?,
        })
    }
}

impl DetachRequest {
    pub fn from_json(body: &Value) -> Result<Self, RequestError> {
        let body = Fields::body(body)?;
        let Common {
            vpn_type,
            vpn_instance_id,
            mac_address,
            ip_address,
            local_port,
        } = common(&body)?;
        Ok(DetachRequest {
            vpn_type,
            vpn_instance_id,
            mac_address,
            ip_address,
            local_port,
        })
    }
}

/// `direction`; absent, `null` and `""` mean `both`.
fn direction(body: &Fields) -> Result<Direction, RequestError> {
    Ok(match body.string("direction")?.as_deref() {
        None | Some("both") => Direction::Both,
        Some("to-port") => Direction::ToPort,
        Some("from-port") => Direction::FromPort,
        Some(other) => {
            return Err(body.error(
                "direction",
                format!("unknown direction {other:?}: use \"to-port\", \"from-port\" or \"both\""),
            ))
        }
    })
}

/// The attach-time rules on `local_port` that depend on the VPN type: an E-VPN instance
/// plugs interfaces only; an E-VPN plugged into an IP VPN replaces the interface, and
/// naming an already plugged OVS port for it needs that port's OVS details.
fn check_port_for_type(vpn_type: VpnType, port: &LocalPort) -> Result<(), RequestError> {
    let err = |field: &str, reason: &str| RequestError::new(format!("local_port.{field}"), reason);
    match (vpn_type, port.evpn.as_deref()) {
        (VpnType::Evpn, _) if port.linuxif.is_none() => {
            Err(err("linuxif", "missing parameter (required for evpn)"))
        }
        (VpnType::Ipvpn, Some(_)) if port.linuxif.is_some() => Err(err(
            "linuxif",
            "cannot be given with local_port.evpn (the E-VPN is plugged instead)",
        )),
        (
            VpnType::Ipvpn,
            Some(EvpnPlug {
                ovs_port_name: Some(_),
                ..
            }),
        ) => {
            let ovs_ok = port
                .ovs
                .as_ref()
                .is_some_and(|o| o.plugged && (o.port_name.is_some() || o.port_number.is_some()));
            if ovs_ok {
                Ok(())
            } else {
                Err(err(
                    "evpn.ovs_port_name",
                    "requires local_port.ovs with plugged=true and a port_name or port_number",
                ))
            }
        }
        _ => Ok(()),
    }
}

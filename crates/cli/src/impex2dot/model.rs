//! What the drawing shows of each VPN instance, read from the looking glass.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Instance {
    /// The server as given on the command line.
    pub server: String,
    /// The `vpn_instance_id`.
    pub id: String,
    /// `VRF` or `EVI` (the start of the instance's name).
    pub kind: String,
    pub import_rts: Vec<String>,
    pub export_rts: Vec<String>,
    pub readvertise: Option<Readvertise>,
    /// Names of the ports plugged into the instance.
    pub ports: Vec<String>,
    /// For an EVI plugged into an IP VPN: that VRF's `vpn_instance_id`.
    pub gateway_ipvpn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readvertise {
    pub from_rts: Vec<String>,
    pub to_rts: Vec<String>,
    /// The route targets of the FlowSpec routes that attract traffic to the readvertised
    /// prefixes; empty without `attract_traffic`.
    pub redirect_rts: Vec<String>,
}

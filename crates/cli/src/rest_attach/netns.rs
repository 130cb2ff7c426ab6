//! `--port netns`: a network namespace plugged into the VPN through a veth pair, as the
//! original created it — the namespace, a veth pair with one end (`ns-<netns>` unless
//! named by `--port netns:<if>`) outside and the other (`--if2vpn`, default `tovpn`) inside
//! with the MAC, the address, a default route via the gateway and an MTU of 1420 (room
//! for the VXLAN or MPLS-over-GRE header); the outer end gets an MTU of 9000 so that an OVS
//! bridge it joins can have a large one.
//!
//! New: detaching removes the veth pair, and the namespace if nothing else is left in it
//! (the original left both behind).

use super::shell::{run, OnFailure};

/// Linux limits interface names to 15 bytes.
const LINUX_DEV_LEN: usize = 15;

/// The interface outside the namespace when `--port` does not name it.
const VPN2NS_INTERFACE_PREFIX: &str = "ns-";

/// The end inside the namespace, when attaching only a VLAN of it: the VLAN device gets the
/// `--if2vpn` name and the veth end this one.
const NS_RAW_INTERFACE: &str = "ns2vpn-raw";

/// Outer end MTU, and the MTU of the veth pair as created.
const VPN_SIDE_MTU: &str = "9000";
const VETH_MTU: &str = "65535";
const NS_SIDE_MTU: &str = "1420";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetnsPort {
    pub netns: String,
    /// The end outside the namespace: the port attached to the VPN.
    pub host_if: String,
    /// The end inside the namespace (a VLAN device with `vlan`).
    pub ns_if: String,
    pub vlan: Option<i64>,
}

impl NetnsPort {
    /// The port `--port` names (`netns` or `netns:<if>`; anything else starting with
    /// `netns`, as the original, means `netns`), in namespace `netns`.
    pub fn new(port: &str, netns: String, ns_if: String, vlan: Option<i64>) -> NetnsPort {
        let named = match port.split(':').collect::<Vec<_>>()[..] {
            [_, name] => Some(name.to_owned()),
            _ => None,
        };
        let host_if = named.unwrap_or_else(|| {
            format!("{VPN2NS_INTERFACE_PREFIX}{netns}")
                .chars()
                .take(LINUX_DEV_LEN)
                .collect()
        });
        NetnsPort {
            netns,
            host_if,
            ns_if,
            vlan,
        }
    }

    /// Creates the namespace and the veth pair, and configures the inner end.
    pub fn plug(&self, ip: &str, gateway: &str, mac: Option<&str>) -> Result<(), String> {
        println!("Will plug local namespace {} into network", self.netns);
        run(&format!("ip netns add {}", self.netns), OnFailure::Warn)?;
        let ns_if = &self.ns_if;
        match self.vlan {
            Some(vlan) => {
                self.veth_pair(NS_RAW_INTERFACE)?;
                self.in_ns(
                    &format!(
                        "ip link add link {NS_RAW_INTERFACE} name {ns_if} type vlan id {vlan}"
                    ),
                    OnFailure::Stop,
                )?;
                self.in_ns(&format!("ip link set {ns_if} up"), OnFailure::Stop)?;
            }
            None => self.veth_pair(ns_if)?,
        }
        if let Some(mac) = mac {
            self.in_ns(
                &format!("ip link set {ns_if} address {mac}"),
                OnFailure::Stop,
            )?;
        }
        self.in_ns(&format!("ip addr add {ip} dev {ns_if}"), OnFailure::Warn)?;
        self.in_ns(
            &format!("ip route add default dev {ns_if} via {gateway}"),
            OnFailure::Warn,
        )?;
        self.in_ns(
            &format!("ip link set {ns_if} mtu {NS_SIDE_MTU}"),
            OnFailure::Warn,
        )?;
        Ok(())
    }

    /// A fresh veth pair between `host_if` and `inner` in the namespace; an old one of the
    /// same names goes first, out of OVS too, or OVS would take the new one back.
    fn veth_pair(&self, inner: &str) -> Result<(), String> {
        let (host, ns) = (&self.host_if, &self.netns);
        self.in_ns(&format!("ip link delete {inner}"), OnFailure::Ignore)?;
        run(&format!("ovs-vsctl del-port {host}"), OnFailure::Ignore)?;
        run(&format!("ip link delete {host}"), OnFailure::Ignore)?;
        run(
            &format!("ip link add {host} type veth peer name {inner} netns {ns} mtu {VETH_MTU}"),
            OnFailure::Warn,
        )?;
        run(&format!("ip link set dev {host} up"), OnFailure::Stop)?;
        run(
            &format!("ip link set dev {host} mtu {VPN_SIDE_MTU}"),
            OnFailure::Stop,
        )?;
        self.in_ns(&format!("ip link set dev {inner} up"), OnFailure::Stop)?;
        Ok(())
    }

    /// The MAC address of the inner end, as the port's MAC when `--mac` is not given.
    pub fn mac(&self) -> Result<String, String> {
        let path = format!("/sys/class/net/{}/address", self.ns_if);
        let out = self.in_ns(&format!("cat {path}"), OnFailure::Stop)?;
        Ok(out.lines().next().unwrap_or_default().trim().to_owned())
    }

    /// Removes the veth pair (the inner end, and a VLAN device on it, go with the outer
    /// one), then the namespace if only its loopback is left: it may be the user's own.
    pub fn unplug(&self) -> Result<(), String> {
        run(&format!("ip link delete {}", self.host_if), OnFailure::Warn)?;
        let links = run(
            &format!("ip -n {} -o link show", self.netns),
            OnFailure::Warn,
        )?;
        let others = links
            .lines()
            .filter(|l| l.split(": ").nth(1).is_some_and(|name| name != "lo"))
            .count();
        if !links.is_empty() && others == 0 {
            run(&format!("ip netns delete {}", self.netns), OnFailure::Warn)?;
        }
        Ok(())
    }

    fn in_ns(&self, command: &str, on_failure: OnFailure) -> Result<String, String> {
        run(
            &format!("ip netns exec {} {command}", self.netns),
            on_failure,
        )
    }
}

/// Fails unless interface `name` exists (the original checked the port it was about to
/// attach or detach).
pub fn check_link(name: &str) -> Result<(), String> {
    run(&format!("ip link show {name}"), OnFailure::Stop).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_interface_name() {
        let p =
            |port: &str, ns: &str| NetnsPort::new(port, ns.into(), "tovpn".into(), None).host_if;
        assert_eq!(p("netns", "blue"), "ns-blue");
        assert_eq!(p("netns:veth-blue", "blue"), "veth-blue");
        // Truncated to a valid Linux name.
        assert_eq!(p("netns", "ipvpn-bagpipe-test"), "ns-ipvpn-bagpip");
        // Other forms fall back to the default name, as the original's split did.
        assert_eq!(p("netns:a:b", "blue"), "ns-blue");
        assert_eq!(p("netnsfoo", "blue"), "ns-blue");
    }
}

//! The Graphviz drawing, line for line the original's: route targets as orange circles,
//! VRFs and EVIs as records, import and export edges, readvertisement (and the FlowSpec
//! routes attracting traffic) as dashed edges from the VRF's `readv` field, ports as gray
//! dashed stubs.
//!
//! The original iterated over Python sets, so its order of lines changed from run to run;
//! here every list is in order of first appearance (servers as given, instances and ports
//! as the looking glass lists them), so the same state always gives the same text.

use std::fmt::Write;

use super::model::Instance;

const RT_TXT_STYLE: &str = r#"color="orange",fontcolor="orange""#;
const RT_STYLE: &str = r#"color="orange",fontcolor="orange",arrowhead=onormal"#;
const RT_STYLE_REDIR_FROM_RT: &str = r#"color="orange",fontcolor="orange",style=dashed,arrowhead=diamond,arrowtail=oinv,headclip=false,dir=both"#;
const RT_STYLE_REDIR_TO_RT: &str = r#"color="orange",fontcolor="orange",style=dashed,arrowhead=onormal,tailclip=false,dir=both,arrowtail=oinv"#;
const RT_STYLE_FLOWSPEC: &str = r#"color="red",fontcolor="red",style=dotted"#;
const RT_STYLE_FLOWSPEC_INTER: &str =
    r#"color="red",fontcolor="red",style=dotted,arrowhead=none,dir=both,arrowtail=oinv"#;
const RT_STYLE_FLOWSPEC_ACTION: &str = r#"color="red",fontcolor="red",style=dashed"#;
const PORT_LINK_STYLE: &str = r#"style=dashed,dir=none,color="gray",weight=3"#;

/// A name usable as a dot node id: `target:64512:1` becomes `rt_64512_1`.
fn normalize(s: &str) -> String {
    s.replace("target:", "rt:").replace([':', '-', '.'], "_")
}

fn vpn_uid(server: &str, vpn: &str) -> String {
    format!("vpn_{}__{}", normalize(server), normalize(vpn))
}

/// Long ids (UUIDs) shortened to their first 4 and last 5 characters.
fn vpn_short(vpn: &str) -> String {
    let chars: Vec<char> = vpn.chars().collect();
    if chars.len() > 11 {
        let head: String = chars[..4].iter().collect();
        let tail: String = chars[chars.len() - 5..].iter().collect();
        format!("{head}..{tail}")
    } else {
        vpn.to_owned()
    }
}

/// `\n[server]` under the instance name, except for the default server.
fn server_spec(server: &str) -> String {
    if server == "localhost" {
        String::new()
    } else {
        format!("\\n[{server}]")
    }
}

/// Appends `item` unless already there: the original's sets, in order of first appearance.
fn add<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Every route target drawn, normalized.
fn route_targets(instances: &[Instance]) -> Vec<String> {
    let mut rts = Vec::new();
    for i in instances {
        for rt in i.import_rts.iter().chain(&i.export_rts) {
            add(&mut rts, normalize(rt));
        }
        if let Some(r) = &i.readvertise {
            for rt in r.to_rts.first().into_iter().chain(r.from_rts.first()) {
                add(&mut rts, normalize(rt));
            }
            for rt in &r.redirect_rts {
                add(&mut rts, normalize(rt));
            }
        }
    }
    rts
}

pub fn render(instances: &[Instance]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_graph(&mut out, instances);
    out
}

fn write_graph(out: &mut String, instances: &[Instance]) -> std::fmt::Result {
    writeln!(out, "digraph import_export {{")?;
    writeln!(out, r#"   node [fontname="Helvetica"];"#)?;
    writeln!(out, r#"   edge [fontname="Helvetica"];"#)?;
    writeln!(out, "   nodesep=0.55;")?;

    writeln!(out, "   subgraph rts {{")?;
    writeln!(out, "       rank=same;")?;
    for rt in route_targets(instances) {
        let label = rt.to_uppercase().replace('_', "\\n");
        writeln!(
            out,
            r#"        {rt} [shape="circle",label="{label}",{RT_TXT_STYLE}];"#
        )?;
    }
    writeln!(out, "    }}")?;

    writeln!(out, "    subgraph ipvpns {{")?;
    writeln!(out, "        rank=same;")?;
    for i in instances.iter().filter(|i| i.kind == "VRF") {
        writeln!(
            out,
            r#"        {} [label="{{<0>VRF\n{}{}|<readv>}}",shape="record"];"#,
            vpn_uid(&i.server, &i.id),
            vpn_short(&i.id),
            server_spec(&i.server)
        )?;
    }
    writeln!(out, "    }}")?;

    writeln!(out, "    subgraph evpns {{")?;
    for i in instances.iter().filter(|i| i.kind == "EVI") {
        writeln!(
            out,
            r#"        {} [label="{{<0>EVI\n{}{}}}",shape="record"];"#,
            vpn_uid(&i.server, &i.id),
            vpn_short(&i.id),
            server_spec(&i.server)
        )?;
    }
    writeln!(out, "    }}")?;

    let mut ports = Vec::new();
    for i in instances {
        write_instance_edges(out, i)?;
        for port in &i.ports {
            add(&mut ports, (i.server.as_str(), normalize(port)));
        }
    }
    write_ports(out, &ports)?;
    writeln!(out, "}}")
}

fn write_instance_edges(out: &mut String, i: &Instance) -> std::fmt::Result {
    writeln!(out, "    /* {}:{} */", i.server, i.id)?;
    let uid = vpn_uid(&i.server, &i.id);
    for rt in &i.import_rts {
        writeln!(out, "    {} -> {uid}:0 [{RT_STYLE}];", normalize(rt))?;
    }
    for rt in &i.export_rts {
        writeln!(out, "    {uid}:0 -> {} [{RT_STYLE}];", normalize(rt))?;
    }
    if let Some(r) = &i.readvertise {
        let readv = format!("{uid}:readv");
        if let Some(from) = r.from_rts.first() {
            writeln!(
                out,
                r#"    {} -> {readv} [label="",{RT_STYLE_REDIR_FROM_RT}];"#,
                normalize(from)
            )?;
        }
        if let Some(to) = r.to_rts.first() {
            writeln!(
                out,
                r#"    {readv} -> {} [label="",{RT_STYLE_REDIR_TO_RT}];"#,
                normalize(to)
            )?;
            if let Some(redirect) = r.redirect_rts.first() {
                // The original's `<server>_<vpn>_attract` is no valid dot id when the server
                // is an IP address (it never drew it: see `gather`); this one always is.
                let intermediate = format!("{uid}_attract");
                writeln!(
                    out,
                    "    {intermediate} [style=invis,height=0,width=0,fixedsize=true,rank=1]"
                )?;
                writeln!(
                    out,
                    r#"    {readv} -> {intermediate} [label="flow",{RT_STYLE_FLOWSPEC_INTER}];"#
                )?;
                writeln!(
                    out,
                    r#"    {intermediate} -> {} [label="",weight=50,{RT_STYLE_FLOWSPEC}];"#,
                    normalize(redirect)
                )?;
                writeln!(
                    out,
                    r#"    {intermediate} -> {} [label="action",{RT_STYLE_FLOWSPEC_ACTION},arrowhead=none,weight=20];"#,
                    normalize(to)
                )?;
            }
        }
    }
    for port in &i.ports {
        writeln!(
            out,
            "    {uid} -> port_{}_{} [{PORT_LINK_STYLE},weight=5];",
            normalize(&i.server),
            normalize(port)
        )?;
    }
    if let Some(ipvpn) = &i.gateway_ipvpn {
        writeln!(
            out,
            "    {uid} -> {} [weight=500];",
            vpn_uid(&i.server, ipvpn)
        )?;
    }
    Ok(())
}

/// Invisible port stubs; a port named `to_<dest>_...` (how the original's test setups
/// named the ports toward a destination) also gets a gray box for that destination.
fn write_ports(out: &mut String, ports: &[(&str, String)]) -> std::fmt::Result {
    let mut dests = Vec::new();
    for (server, port) in ports {
        let server_id = normalize(server);
        writeln!(
            out,
            r#"    port_{server_id}_{port} [label="",style=invis,height=0,width=0,fixedsize=true];"#
        )?;
        if port.starts_with("to_") {
            let dest = port.split('_').nth(1).unwrap_or_default();
            writeln!(
                out,
                r#"    port_{server_id}_{port} -> dest_{server_id}_{dest} [style=dashed,dir=none,color="gray",weight=5];"#
            )?;
            add(&mut dests, (*server, dest));
        }
    }
    for (server, dest) in dests {
        writeln!(
            out,
            r#"    dest_{}_{} [label="{dest}\n[{server}]",shape="square",color="gray"];"#,
            normalize(server),
            normalize(dest)
        )?;
    }
    Ok(())
}

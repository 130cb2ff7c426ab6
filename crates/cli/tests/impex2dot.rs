//! `bagpipe-impex2dot` against two real daemons: the graph of their instances.

mod support;

use serde_json::json;
use support::{run_tool, start_daemon};

const TOOL: &str = env!("CARGO_BIN_EXE_bagpipe-impex2dot");

#[test]
fn draws_the_instances_of_two_servers() {
    // Two VRFs of one VPN on two nodes, one readvertising and attracting traffic, and an EVI,
    // created in the order of their ids (the daemon may list them by id or by creation).
    // One API port for all servers, as the original's --port.
    let a = start_daemon("127.0.42.1", 20200, 20201);
    let b = start_daemon("127.0.42.2", 20200, 20202);
    a.attach(&json!({
        "vpn_instance_id": "bpc-green-0123456789", "vpn_type": "evpn", "local_port": "tap.g",
        "mac_address": "52:54:00:42:00:02", "ip_address": "10.42.1.2/24",
        "import_rt": ["64512:4203"], "export_rt": ["64512:4203"]
    }));
    a.attach(&json!({
        "vpn_instance_id": "bpc-red", "vpn_type": "ipvpn", "local_port": "to_web_1",
        "mac_address": "52:54:00:42:00:01", "ip_address": "10.42.0.1/24",
        "gateway_ip": "10.42.0.254", "import_rt": ["64512:4201", "64512:4202"],
        "export_rt": ["64512:4201"]
    }));
    b.attach(&json!({
        "vpn_instance_id": "bpc-red", "vpn_type": "ipvpn", "local_port": "tap-b",
        "mac_address": "52:54:00:42:00:03", "ip_address": "10.42.0.3/24",
        "gateway_ip": "10.42.0.254", "import_rt": ["64512:4201"], "export_rt": ["64512:4202"],
        "readvertise": {"from_rt": ["64512:4201"], "to_rt": ["64512:4204"]},
        "attract_traffic": {"redirect_rts": ["64512:4205"], "classifier": {"protocol": "tcp"}}
    }));

    let run = run_tool(
        TOOL,
        &[
            "--server",
            "127.0.42.1",
            "--server",
            "127.0.42.2",
            "--port",
            "20200",
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let orange = r#"color="orange",fontcolor="orange""#;
    let red = r#"color="red",fontcolor="red""#;
    let port = r#"style=dashed,dir=none,color="gray",weight=3,weight=5"#;
    let expected = format!(
        r#"digraph import_export {{
   node [fontname="Helvetica"];
   edge [fontname="Helvetica"];
   nodesep=0.55;
   subgraph rts {{
       rank=same;
        rt_64512_4203 [shape="circle",label="RT\n64512\n4203",{orange}];
        rt_64512_4201 [shape="circle",label="RT\n64512\n4201",{orange}];
        rt_64512_4202 [shape="circle",label="RT\n64512\n4202",{orange}];
        rt_64512_4204 [shape="circle",label="RT\n64512\n4204",{orange}];
        rt_64512_4205 [shape="circle",label="RT\n64512\n4205",{orange}];
    }}
    subgraph ipvpns {{
        rank=same;
        vpn_127_0_42_1__bpc_red [label="{{<0>VRF\nbpc-red\n[127.0.42.1]|<readv>}}",shape="record"];
        vpn_127_0_42_2__bpc_red [label="{{<0>VRF\nbpc-red\n[127.0.42.2]|<readv>}}",shape="record"];
    }}
    subgraph evpns {{
        vpn_127_0_42_1__bpc_green_0123456789 [label="{{<0>EVI\nbpc-..56789\n[127.0.42.1]}}",shape="record"];
    }}
    /* 127.0.42.1:bpc-green-0123456789 */
    rt_64512_4203 -> vpn_127_0_42_1__bpc_green_0123456789:0 [{orange},arrowhead=onormal];
    vpn_127_0_42_1__bpc_green_0123456789:0 -> rt_64512_4203 [{orange},arrowhead=onormal];
    vpn_127_0_42_1__bpc_green_0123456789 -> port_127_0_42_1_tap_g [{port}];
    /* 127.0.42.1:bpc-red */
    rt_64512_4201 -> vpn_127_0_42_1__bpc_red:0 [{orange},arrowhead=onormal];
    rt_64512_4202 -> vpn_127_0_42_1__bpc_red:0 [{orange},arrowhead=onormal];
    vpn_127_0_42_1__bpc_red:0 -> rt_64512_4201 [{orange},arrowhead=onormal];
    vpn_127_0_42_1__bpc_red -> port_127_0_42_1_to_web_1 [{port}];
    /* 127.0.42.2:bpc-red */
    rt_64512_4201 -> vpn_127_0_42_2__bpc_red:0 [{orange},arrowhead=onormal];
    vpn_127_0_42_2__bpc_red:0 -> rt_64512_4202 [{orange},arrowhead=onormal];
    rt_64512_4201 -> vpn_127_0_42_2__bpc_red:readv [label="",{orange},style=dashed,arrowhead=diamond,arrowtail=oinv,headclip=false,dir=both];
    vpn_127_0_42_2__bpc_red:readv -> rt_64512_4204 [label="",{orange},style=dashed,arrowhead=onormal,tailclip=false,dir=both,arrowtail=oinv];
    vpn_127_0_42_2__bpc_red_attract [style=invis,height=0,width=0,fixedsize=true,rank=1]
    vpn_127_0_42_2__bpc_red:readv -> vpn_127_0_42_2__bpc_red_attract [label="flow",{red},style=dotted,arrowhead=none,dir=both,arrowtail=oinv];
    vpn_127_0_42_2__bpc_red_attract -> rt_64512_4205 [label="",weight=50,{red},style=dotted];
    vpn_127_0_42_2__bpc_red_attract -> rt_64512_4204 [label="action",{red},style=dashed,arrowhead=none,weight=20];
    vpn_127_0_42_2__bpc_red -> port_127_0_42_2_tap_b [{port}];
    port_127_0_42_1_tap_g [label="",style=invis,height=0,width=0,fixedsize=true];
    port_127_0_42_1_to_web_1 [label="",style=invis,height=0,width=0,fixedsize=true];
    port_127_0_42_1_to_web_1 -> dest_127_0_42_1_web [style=dashed,dir=none,color="gray",weight=5];
    port_127_0_42_2_tap_b [label="",style=invis,height=0,width=0,fixedsize=true];
    dest_127_0_42_1_web [label="web\n[127.0.42.1]",shape="square",color="gray"];
}}
"#
    );
    assert_eq!(run.stdout, expected);
}

#[test]
fn a_server_that_does_not_answer_fails() {
    let run = run_tool(TOOL, &["--server", "127.0.42.9", "--port", "20209"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty(), "no partial graph: {}", run.stdout);
    assert!(
        run.stderr
            .starts_with("Error requesting http://127.0.42.9:20209/looking-glass/vpns/instances: "),
        "{}",
        run.stderr
    );
}

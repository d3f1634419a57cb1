using FlowExporter.Commands;
using FlowExporter.Configuration;
using FlowExporter.Hosting;

namespace FlowExporter.Tests.Configuration;

/// <summary>
/// Every section of the configuration, from the YAML file, the environment or a flag, refuses a mistyped key (naming
/// the full key and the key probably meant) and a value of the wrong type (naming the key and what is allowed).
/// </summary>
public sealed class StrictConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-strict-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_directory, "config.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>What the exporter does at start: the exporter's own sections, then every source's section.</summary>
    private static void Load(string? file, Dictionary<string, string?>? environment = null, IReadOnlyDictionary<string, string?>? flags = null)
    {
        environment ??= [];
        var configuration = ConfigLoader.Load(file, environment, flags ?? new Dictionary<string, string?>());
        ExporterOptions.FromConfiguration(configuration, "host-1");
        SourceConfiguration.FromConfiguration(configuration, "node-a", name => environment.GetValueOrDefault(name));
    }

    [Theory]
    // top level
    [InlineData("endpoint_file: /x\n", "config: endpoint_file: unknown key (did you mean endpoints_file?)")]
    [InlineData("listen: [127.0.0.1:9004]\n", "config: listen: must be a single value, not a list or mapping")]
    [InlineData("endpoints_file:\n  path: /x\n", "config: endpoints_file: must be a single value, not a list or mapping")]
    // capture
    [InlineData("capture:\n  snaplenn: 96\n", "config: capture.snaplenn: unknown key (did you mean snaplen?)")]
    [InlineData("capture:\n  snaplen: big\n", "config: capture.snaplen: 'big' is not a whole number")]
    [InlineData("capture: eth0\n", "config: capture: must be a mapping of keys (interfaces, discover, bpf, snaplen, decapsulate, vxlan_ports, geneve_port, buffer_bytes, pod_buffer_bytes, max_points, promiscuous, replay_file, replay_loop, engine, ebpf), not the value 'eth0'")]
    [InlineData("capture:\n  engine: kernel\n", "config: capture.engine: 'kernel' is not one of auto, ebpf, libpcap")]
    [InlineData("capture:\n  ebpf:\n    max_conections: 10\n", "config: capture.ebpf.max_conections: unknown key (did you mean max_connections?)")]
    [InlineData("capture:\n  ebpf:\n    sweep_interval: 1ms\n", "config: capture.ebpf.sweep_interval: must be at least 0.01s")]
    [InlineData("capture:\n  interfaces:\n    name: eth0\n", "config: capture.interfaces.name: is not a list index: this key must be a list (- item)")]
    [InlineData("capture:\n  interfaces:\n    - [eth0]\n", "config: capture.interfaces.0: must be a single value, not a list or mapping")]
    [InlineData("capture:\n  discovr: [uplinks]\n", "config: capture.discovr: unknown key (did you mean discover?)")]
    [InlineData("capture:\n  discover: [uplinks, pods]\n", "config: capture.discover.1: 'pods': unknown discovery source (known: ovs_pod_ports, uplinks)")]
    [InlineData("capture:\n  discover:\n    ovs: true\n", "config: capture.discover.ovs: is not a list index: this key must be a list (- item)")]
    [InlineData("capture:\n  interfaces: [eth0, '!veth[0-9']\n", "config: capture.interfaces.1: '!veth[0-9': invalid interface name or glob: the class opened at position 5 is not closed with ']'")]
    [InlineData("capture:\n  interfaces: [a-name-longer-than-15]\n", "config: capture.interfaces.0: 'a-name-longer-than-15': 'a-name-longer-than-15' is longer than the 15 characters an interface name can have")]
    [InlineData("capture:\n  max_points: many\n", "config: capture.max_points: 'many' is not a whole number")]
    [InlineData("capture:\n  max_point: 10\n", "config: capture.max_point: unknown key (did you mean max_points?)")]
    [InlineData("capture:\n  max_points: 0\n", "config: capture.max_points: 0 is outside 1..65535")]
    [InlineData("capture:\n  pod_buffer_bytes: [1]\n", "config: capture.pod_buffer_bytes: must be a single value, not a list or mapping")]
    // connections
    [InlineData("connections:\n  timout: 5s\n", "config: connections.timout: unknown key (did you mean timeout?)")]
    [InlineData("connections:\n  max: [1]\n", "config: connections.max: must be a single value, not a list or mapping")]
    [InlineData("connections:\n  naming: graphite\n", "config: connections.naming: 'graphite' is not one of prometheus, skydive")]
    [InlineData("connections:\n  count_at: uplink\n", "config: connections.count_at: 'uplink' is not one of node, every_point")]
    [InlineData("connections:\n  count_on: node\n", "config: connections.count_on: unknown key (did you mean count_at?)")]
    // quality
    [InlineData("quality:\n  enable: true\n", "config: quality.enable: unknown key (did you mean enabled?)")]
    [InlineData("quality:\n  enabled:\n    a: b\n", "config: quality.enabled: must be a single value, not a list or mapping")]
    // ovs
    [InlineData("ovs:\n  mdoe: vsctl\n", "config: ovs.mdoe: unknown key (did you mean mode?)")]
    [InlineData("ovs:\n  mode: kernel\n", "config: ovs.mode: 'kernel' is not one of ovsdb, vsctl")]
    [InlineData("ovs: vsctl\n", "config: ovs: must be a mapping of keys (mode, db, vsctl_path, timeout, interval), not the value 'vsctl'")]
    [InlineData("ovs:\n  timeout: [1s]\n", "config: ovs.timeout: must be a single value, not a list or mapping")]
    // snmp
    [InlineData("snmp:\n  tragets:\n    - name: tor-1\n", "config: snmp.tragets: unknown key (did you mean targets?)")]
    [InlineData("snmp:\n  targets:\n    - name: tor-1\n      adress: 127.0.0.1\n", "config: snmp.targets.0.adress: unknown key (did you mean address?)")]
    [InlineData("snmp:\n  port_map:\n    - ifname: e1\n", "config: snmp.port_map.0.ifname: unknown key (did you mean if_name?)")]
    [InlineData("snmp:\n  targets: tor-1\n", "config: snmp.targets: must be a list, not the value 'tor-1'")]
    [InlineData("snmp:\n  targets:\n    name: tor-1\n", "config: snmp.targets.name: is not a list index: this key must be a list (- item)")]
    [InlineData("snmp:\n  targets:\n    - tor-1\n", "config: snmp.targets.0: must be a mapping of keys (name, address, version, community_file, community_env, user, security_level, auth_protocol, auth_passphrase_file, auth_passphrase_env, priv_protocol, priv_passphrase_file, priv_passphrase_env, context, interval, timeout, retries, max_repetitions, include_if_name, exclude_if_name), not the value 'tor-1'")]
    [InlineData("snmp:\n  max_concurrent_targets: many\n", "config: snmp.max_concurrent_targets: 'many' is not a whole number")]
    [InlineData("snmp:\n  targets:\n    - name: tor-1\n      address: 127.0.0.1\n      community_env: C\n      retries: 11\n", "config: snmp.targets.0.retries: 11 is outside 0..10")]
    // kubernetes: refused even while the source stays off
    [InlineData("kubernetes:\n  enabeld: true\n", "config: kubernetes.enabeld: unknown key (did you mean enabled?)")]
    [InlineData("kubernetes:\n  enabled: sometimes\n", "config: kubernetes.enabled: 'sometimes' is not one of auto, true, false")]
    [InlineData("kubernetes:\n  enabled: false\n  resync: [5m]\n", "config: kubernetes.resync: must be a single value, not a list or mapping")]
    // probes
    [InlineData("probes:\n  intervall: 5s\n", "config: probes.intervall: unknown key (did you mean interval?)")]
    [InlineData("probes:\n  peers:\n    - name: n1\n      hots: 10.0.0.1\n", "config: probes.peers.0.hots: unknown key (did you mean host?)")]
    [InlineData("probes:\n  kubernetes:\n    namespce: x\n", "config: probes.kubernetes.namespce: unknown key (did you mean namespace?)")]
    [InlineData("probes:\n  peers: node-1\n", "config: probes.peers: must be a list, not the value 'node-1'")]
    [InlineData("probes:\n  max_concurrent: 0\n", "config: probes.max_concurrent: 0 is outside 1..1024")]
    public void A_typo_or_a_wrong_type_in_any_section_names_the_key(string yaml, string message)
    {
        var error = Assert.Throws<ConfigException>(() => Load(Write(yaml), new Dictionary<string, string?> { ["C"] = "community" }));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_key_far_from_every_known_key_lists_the_known_keys()
    {
        var error = Assert.Throws<ConfigException>(() => Load(Write("ovs:\n  colour: blue\n")));
        Assert.Equal("config: ovs.colour: unknown key (known here: mode, db, vsctl_path, timeout, interval)", error.Message);
    }

    [Theory]
    [InlineData("FLOWEXPORTER_OVS__MDOE", "vsctl", "config: ovs.mdoe: unknown key (did you mean mode?)")]
    [InlineData("FLOWEXPORTER_OVS__MODE", "kernel", "config: ovs.mode: 'kernel' is not one of ovsdb, vsctl")]
    [InlineData("FLOWEXPORTER_KUBERNETES__ENABELD", "true", "config: kubernetes.enabeld: unknown key (did you mean enabled?)")]
    [InlineData("FLOWEXPORTER_SNMP__TARGETS__0__ADRESS", "127.0.0.1", "config: snmp.targets.0.adress: unknown key (did you mean address?)")]
    [InlineData("FLOWEXPORTER_SNMP__TARGETS", "tor-1", "config: snmp.targets: must be a list, not the value 'tor-1'")]
    [InlineData("FLOWEXPORTER_PROBES__PORT", "http", "config: probes.port: 'http' is not a whole number")]
    [InlineData("FLOWEXPORTER_LISEN", "127.0.0.1:9004", "config: lisen: unknown key (did you mean listen?)")]
    public void Environment_overrides_are_checked_the_same_way(string variable, string value, string message)
    {
        var error = Assert.Throws<ConfigException>(() => Load(null, new Dictionary<string, string?> { [variable] = value }));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void An_environment_override_of_a_good_file_is_checked_too()
    {
        var file = Write("ovs:\n  mode: vsctl\n");
        var error = Assert.Throws<ConfigException>(() => Load(file, new Dictionary<string, string?> { ["FLOWEXPORTER_OVS__INTERVAL"] = "often" }));
        Assert.Equal("config: ovs.interval: 'often' is not a duration (examples: 500ms, 30s, 5m, 1h)", error.Message);
    }

    [Fact]
    public void Flags_are_checked_the_same_way()
    {
        var error = Assert.Throws<ConfigException>(() => Load(null, flags: CommandLine.Parse(["--ovs-mode", "kernel"]).Overrides));
        Assert.Equal("config: ovs.mode: 'kernel' is not one of ovsdb, vsctl", error.Message);
        var snaplen = Assert.Throws<ConfigException>(() => Load(null, flags: CommandLine.Parse(["--snaplen", "lots"]).Overrides));
        Assert.Equal("config: capture.snaplen: 'lots' is not a whole number", snaplen.Message);
    }

    [Fact]
    public void A_mistyped_flag_suggests_the_flag_meant()
    {
        Assert.Equal("unknown flag --ovs-mdoe (did you mean --ovs-mode?)", Assert.Throws<UsageException>(() => CommandLine.Parse(["--ovs-mdoe", "vsctl"])).Message);
        Assert.Equal("unknown flag --colour (see --help)", Assert.Throws<UsageException>(() => CommandLine.Parse(["--colour", "blue"])).Message);
    }

    [Fact]
    public void A_good_configuration_of_every_section_passes()
    {
        var file = Write("""
            listen: 127.0.0.1:9004
            capture:
              interfaces: [eth0]
            connections:
              timeout: 30s
            quality:
              enabled: true
            ovs:
              mode: vsctl
            snmp:
              targets:
                - name: tor-1
                  address: 127.0.0.1:1161
                  community_env: C
              port_map:
                - { switch: tor-1, if_name: e1, node: n1 }
            kubernetes:
              enabled: false
            probes:
              enabled: true
              peers:
                - { name: n2, host: 10.0.0.2 }
            """);
        Load(file, new Dictionary<string, string?> { ["C"] = "community" });
    }

    [Fact]
    public async Task The_exporter_exits_2_with_one_line_for_a_typo_in_a_source_section()
    {
        var file = Write("ovs:\n  mdoe: vsctl\n");
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exit = await ExporterProgram.RunAsync(["--config", file, "--listen", "127.0.0.1:0"], output, error, new Dictionary<string, string>());
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: config: ovs.mdoe: unknown key (did you mean mode?)\n", error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_replay_is_refused_the_same_way()
    {
        var file = Write("snmp:\n  tragets:\n    - name: tor-1\n");
        using var output = new MemoryStream();
        using var error = new StringWriter();
        var exit = await ExporterProgram.RunAsync(["replay", Path.Combine(_directory, "none.pcap"), "--config", file], output, error, new Dictionary<string, string>());
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: config: snmp.tragets: unknown key (did you mean targets?)\n", error.ToString().ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData("mdoe", "mode", 1)]
    [InlineData("tragets", "targets", 1)]
    [InlineData("enabeld", "enabled", 1)]
    [InlineData("lisen", "listen", 1)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "db", 2)]
    public void Edit_distance_counts_a_swap_of_neighbours_as_one(string a, string b, int distance) =>
        Assert.Equal(distance, KeySuggestion.Distance(a, b));
}

# Sourced by bench/run.sh and bench/lib.sh: the gateway's configuration for the bench rows.
#
# gateway_config FILE PROBE(On/Off) [SINK_PATH]: routed by $reverse_proxy, the shipped logging
# levels, every header captured with the default redaction, the probe as asked, records to
# JSON lines at SINK_PATH (none without it). The console line per request is off: it is a
# reading aid, and a real deployment's stdout goes to a journal.
gateway_config() {
    local sink='"Enabled": false'
    [ -z "${3:-}" ] || sink="\"Path\": \"$3\""
    cat >"$1" <<CONFIG
{
  "Logging": { "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning", "Microsoft.Hosting.Lifetime": "Warning", "Yarp": "Warning" } },
  $reverse_proxy,
  "HeaderLogging": { "Request": { "Mode": "All" }, "Response": { "Mode": "All" }, "MaxValueBytes": 1024, "MaxHeaders": 64 },
  "KernelProbe": { "Mode": "$2", "Interfaces": [ "lo" ] },
  "Telemetry": { "JsonLines": { $sink }, "Console": false }
}
CONFIG
}

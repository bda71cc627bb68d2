/** Help text of every `aiotflow` command (`aiotflow <command> --help`). */
export const HELP: Record<string, string> = {
  main: `aiotflow — low-code flow engine for industrial AIoT

Usage: aiotflow <command> [options]

Commands:
  run <flow.json>       run a flow headless; Ctrl-C drains queued messages and exits
  validate <flow.json>  check a flow; lists every problem with its line, JSON path and code
  nodes [type]          the node catalog, or one node's fields, ports and examples
  serve                 admin API + live events + /metrics + local runtime + embedded MQTT broker
  audit verify          check that the audit log's hash chain is unbroken
  users reset-password  set a new password for a user when it is lost (server stopped)
  models <command>      the model registry: list, show, register an ONNX file, promote a version

Options:
  -h, --help            help for aiotflow or for a command (aiotflow run --help)
  -v, --version         print the version`,
  run: `Usage: aiotflow run <flow.json> [options]

Runs the flow on this machine and prints what its debug nodes receive.
Ctrl-C stops the sources, drains every queued message and exits; a second Ctrl-C exits at once.
A flow whose sources all end (a replayed file) drains and exits by itself once they have.

Options:
  --data-dir <dir>      where keyed state is snapshotted, so windows and alarms survive a restart, and whose
                        model and asset registries the flow uses (default ./data); locked while running, so
                        a server on the same directory refuses it (STORE_LOCKED)
  --no-state            keep no state between runs, no data directory (for demos and tests)
  --duration <seconds>  stop by itself after this long (default: run until Ctrl-C or the sources end)
  --keep-running        keep running after every source has finished (until --duration or Ctrl-C)
  --drain-timeout <s>   on stop, wait at most this long for queued messages (default 10); what is still
                        queued then is dropped, and the summary says where
  --log-level <level>   debug | info | warn | error (default info)
  --json                debug messages and logs as JSON lines (for log shippers)
  --quiet               no debug output, only warnings and the final summary
  --http-port <port>    serve http-in webhooks (POST /api/hooks/<flow>/<node>) on this port; without it
                        flows with http-in nodes do not deploy (SERVICE_UNAVAILABLE)
  --host <address>      address of that webhook listener (default 127.0.0.1)
  -h, --help            this help`,
  validate: `Usage: aiotflow validate <flow.json>... [--json]

Checks the flow document against the format and the node catalog and lists every problem at once:
file:line:column, the JSON path, what is wrong and the error code. Exit code 1 when there are problems.

Options:
  --json                problems as a JSON array
  -h, --help            this help`,
  nodes: `Usage: aiotflow nodes [type] [--json]

Without a type: every node type, grouped by family. With a type: its config fields (types, units,
bounds, defaults), input and output ports with their payload kinds, and examples.

Options:
  --json                the catalog (or one node) as JSON, config as JSON Schema
  -h, --help            this help`,
};

HELP["serve"] = `Usage: aiotflow serve [options]

Starts the admin API (OpenAPI at /api/openapi.json), live events over WebSocket (/api/events),
Prometheus metrics (/metrics), the local runtime and an embedded MQTT broker. On the very first start
it creates the user "admin" and prints its initial password once (or takes AIOTFLOW_ADMIN_PASSWORD), and
adds and deploys the demo flow. One server per data directory (it is locked while serving). Flows that were running are deployed again after a restart.

Options:
  --port <n>            HTTP port (default 1880; 0 = any free port)
  --host <addr>         address to listen on (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --data-dir <dir>      flows, versions, users, audit log, secrets, state (default ./data)
  --mqtt-port <n>       embedded MQTT broker port (default 1883)
  --no-mqtt             no embedded broker (flows use the broker already on 1883, e.g. Mosquitto)
  --no-auth             no login: everyone is admin. For a local demo only.
  --duration <seconds>  stop by itself after this long
  --log-level <level>   debug | info | warn | error (default info)
  -h, --help            this help

A busy --port stops the start (SERVE_PORT_IN_USE) before anything is created: pick another. A busy
--mqtt-port starts without the embedded broker, with a warning (flows use the broker already there). Ctrl-C drains the flows (at most 10 s), then closes connections, the broker and
the API (open live-event clients are disconnected); a second Ctrl-C exits at once.`;

HELP["audit"] = `Usage: aiotflow audit verify [--data-dir <dir>]

Re-reads the append-only audit log (<data-dir>/audit.jsonl) and checks every record's hash chain;
exit code 1 and the first broken record when a line was edited, removed or reordered.

Options:
  --data-dir <dir>      default ./data
  -h, --help            this help`;

HELP["users"] = `Usage: aiotflow users reset-password <username> [--data-dir <dir>]

For a lost password: run it on the machine that holds the data directory, with the server stopped.
Prints a new password once (or sets AIOTFLOW_NEW_PASSWORD), logs the user's sessions out and
appends an audit record.

Options:
  --data-dir <dir>      default ./data
  -h, --help            this help`;

HELP["models"] = `Usage: aiotflow models <command> [options]

The model registry in the data directory (what the onnx-inference node loads).

Commands:
  list                              models with their production and candidate versions
  show <name>                       every version: stage, sha256, inputs/outputs, features, card
  register <file.onnx> --name <n>   add the file as the next version (stage candidate)
  promote <name> <version>          move a version to --stage (default production)

Options:
  --name <name>         model name for register
  --features a,b,c      input columns in order (default: the model's aiotflow.features metadata)
  --card <text>         free-text model card for register
  --stage <stage>       candidate | production | archived (promote)
  --data-dir <dir>      default ./data; register and promote need the server stopped (or use the API)
  --json                list/show as JSON
  -h, --help            this help`;


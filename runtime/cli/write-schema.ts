/** Writes flows/flow.schema.json from the TypeBox definition (`npm run schema`); a test keeps them equal. */
import { writeFileSync } from "node:fs";
import { flowJsonSchema } from "../contract/flow-format.ts";

const file = new URL("../../flows/flow.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);

#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step between editing and running.
import { register } from "tsx/esm/api";

register();
await import("../runtime/cli.ts");

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelRegistry } from "./model-registry.ts";
import { modelsCommand } from "./models-cli.ts";
import { linearOnnx } from "./onnx-export.ts";

describe("aiotflow models", () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aiotflow-models-cli-"));
    dataDir = join(dir, "data");
    await writeFile(join(dir, "pump.onnx"), linearOnnx({ featureNames: ["x0", "x1"], weights: [1, 1], bias: 0, link: "sigmoid" }));
    await writeFile(join(dir, "notes.onnx"), "these are notes, not a model");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("registers a file with feature names, promotes it and shows it", async () => {
    const registered = await modelsCommand(["register", join(dir, "pump.onnx")], { dataDir, name: "pump", features: "temp,vib", card: "demo" });
    assert.equal(registered.code, 0, registered.text);
    assert.match(registered.text, /registered pump@1 \(candidate\).*features temp, vib/);
    const promoted = await modelsCommand(["promote", "pump", "1"], { dataDir, stage: "production" });
    // `models register` takes no reference statistics: the promotion says what flows lose.
    assert.equal(promoted.code, 0);
    assert.equal(
      promoted.text,
      "pump@1 is now production\nwarning: version 1 has no reference statistics: drift monitors following this model will not check drift, explanations use a zero baseline",
    );
    const list = await modelsCommand(["list"], { dataDir });
    assert.match(list.text, /pump\s+production v1/);
    const show = await modelsCommand(["show", "pump"], { dataDir });
    assert.match(show.text, /v1 production .*features float32\[N,2\] -> score float32\[N,1\].*features: temp, vib/s);
    const json = await modelsCommand(["show", "pump"], { dataDir, json: true });
    assert.equal(JSON.parse(json.text).versions[0].featureNames[1], "vib");
  });

  it("promotes a version with reference statistics without a warning", async () => {
    const registry = await ModelRegistry.open(dataDir);
    const bytes = linearOnnx({ featureNames: ["temp", "vib"], weights: [1, 1], bias: 0, link: "sigmoid" });
    const info = await registry.register({ name: "pump-ref", bytes, reference: { temp: { mean: 60, std: 4 }, vib: { mean: 1, std: 0.5 } } });
    await registry.close();
    const promoted = await modelsCommand(["promote", "pump-ref", String(info.version)], { dataDir, stage: "production" });
    assert.equal(promoted.text, `pump-ref@${info.version} is now production`);
  });

  it("refuses bad input with a coded error or usage", async () => {
    const notOnnx = await modelsCommand(["register", join(dir, "notes.onnx")], { dataDir, name: "pump" });
    assert.equal(notOnnx.code, 1);
    assert.match(notOnnx.text, /\[MODEL_NOT_ONNX\]/);
    const wrongCount = await modelsCommand(["register", join(dir, "pump.onnx")], { dataDir, name: "pump", features: "a,b,c" });
    assert.match(wrongCount.text, /\[MODEL_INVALID\]/);
    const missing = await modelsCommand(["register", join(dir, "missing.onnx")], { dataDir, name: "pump" });
    assert.equal(missing.code, 1);
    assert.match(missing.text, /missing\.onnx: cannot read the model file: .*ENOENT.* \[MODEL_FILE_UNREADABLE\]\n  what to do: Check the model file's path/);
    assert.equal((await modelsCommand(["promote", "pump", "1"], { dataDir, stage: "live" })).code, 2);
    assert.equal((await modelsCommand(["promote", "pump", "7"], { dataDir })).code, 1);
    assert.equal((await modelsCommand(["register", join(dir, "pump.onnx")], { dataDir })).code, 2, "--name is required");
    assert.equal((await modelsCommand(["frobnicate"], { dataDir })).code, 2);
  });
});

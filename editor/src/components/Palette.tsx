/** Node types from the catalog, grouped by family, searchable; drag one onto the canvas (or press Enter on it). */
import { memo, useMemo, useState, type DragEvent } from "react";
import { familyColour } from "../context.ts";
import { paletteGroups, type CatalogNode } from "../graph/catalog.ts";

export const DRAG_TYPE = "application/x-aiotflow-node";

function PaletteImpl({ nodes, onAdd }: { nodes: readonly CatalogNode[]; onAdd: (type: string) => void }) {
  const [search, setSearch] = useState("");
  const groups = useMemo(() => paletteGroups(nodes, search), [nodes, search]);
  const onDragStart = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.effectAllowed = "move";
  };
  return (
    <aside className="palette" aria-label="Node palette">
      <input type="search" placeholder="Search nodes" aria-label="Search nodes" value={search} onChange={(e) => setSearch(e.target.value)} />
      {groups.length === 0 && <p className="hint">No node matches “{search}”.</p>}
      {groups.map((group) => (
        <section key={group.family}>
          <h3 style={{ color: familyColour(group.family) }}>{group.family}</h3>
          {group.nodes.map((n) => (
            <button
              key={n.type}
              type="button"
              className="palette-item"
              draggable
              data-testid={`palette-${n.type}`}
              style={{ borderLeftColor: familyColour(n.family) }}
              title={n.summary}
              onDragStart={(e) => onDragStart(e, n.type)}
              onClick={() => onAdd(n.type)}
            >
              {n.title}
            </button>
          ))}
        </section>
      ))}
    </aside>
  );
}

export const Palette = memo(PaletteImpl);

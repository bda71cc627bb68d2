/**
 * Why the model scored a message as it did: the top features of meta.explanation as signed bars
 * with their values. Compact in the debug list (one line), with value and baseline in the message
 * detail. Scaling and formatting live in graph/ml-view.ts.
 */
import type { ExplanationBar } from "../graph/ml-view.ts";
import "./ml-view.css";

interface Props {
  readonly bars: readonly ExplanationBar[];
  /** One line of small bars, for the debug list. */
  readonly compact?: boolean;
}

const tooltip = (b: ExplanationBar) =>
  `${b.feature}: ${b.text} to the score` + (b.value !== undefined ? `; value ${b.value}` : "") + (b.baseline !== undefined ? `, training mean ${b.baseline}` : "");

export function ExplanationBars({ bars, compact = false }: Props) {
  if (compact) {
    return (
      <span className="why-line" data-testid="explanation-line" aria-label={`why: ${bars.map((b) => `${b.feature} ${b.text}`).join(", ")}`}>
        <span className="why-label">why</span>
        {bars.map((b) => (
          <span key={b.feature} className={`why-item ${b.sign}`} title={tooltip(b)}>
            <i style={{ width: `${Math.max(1, Math.round(b.width / 5))}px` }} />
            {b.feature} {b.text}
          </span>
        ))}
      </span>
    );
  }
  return (
    <table className="why-bars" data-testid="explanation-bars">
      <tbody>
        {bars.map((b) => (
          <tr key={b.feature} title={tooltip(b)} data-feature={b.feature}>
            <th scope="row">{b.feature}</th>
            <td className="why-track">
              <span className={`why-bar ${b.sign}`} style={{ width: `${b.width / 2}%`, [b.sign === "up" ? "left" : "right"]: "50%" }} />
            </td>
            <td className="why-value">{b.text}</td>
            <td className="why-context">{b.value !== undefined ? `= ${b.value}` : ""}{b.baseline !== undefined ? ` (mean ${b.baseline})` : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * What the signed-in user's role may do in the editor, mirroring the API's `access` levels
 * (runtime/api/routes/*.ts): viewer < editor < operator < admin, each may do what those before it
 * may. The API refuses anyway; the editor hides or disables, and says which role is needed.
 */
export const ROLES = ["viewer", "editor", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  readonly username: string;
  readonly role: Role;
}

/** The least role each editor action needs (the route's `access`). */
export const NEEDS = {
  save: "editor",
  import: "editor",
  delete: "editor",
  restore: "editor",
  deploy: "operator",
  rollback: "operator",
  stop: "operator",
} as const satisfies Record<string, Role>;
export type Action = keyof typeof NEEDS;

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** An unknown role may do nothing: the API decides, and the editor never offers more than it allows. */
export function can(user: User | undefined, action: Action): boolean {
  if (!user) return false;
  return ROLES.indexOf(user.role) >= ROLES.indexOf(NEEDS[action]);
}

/** The tooltip of a control the user may not use, or undefined when they may. */
export function refusalFor(user: User | undefined, action: Action): string | undefined {
  if (can(user, action)) return undefined;
  return `Needs the ${NEEDS[action]} role${user ? ` (${user.username} is ${user.role})` : ""}`;
}

/** The `principal` of GET /api/auth/me (or `user` of the login answer), checked. */
export function userOf(value: unknown): User | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { username, role } = value as Record<string, unknown>;
  return typeof username === "string" && isRole(role) ? { username, role } : undefined;
}

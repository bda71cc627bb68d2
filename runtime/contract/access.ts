/** Roles, users and tokens as the API and the editor see them (never a password or token hash). */

export type Role = "viewer" | "editor" | "operator" | "admin";

/** Each role may do everything the roles before it may. */
export const ROLES: readonly Role[] = ["viewer", "editor", "operator", "admin"];

export interface UserRecord {
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly disabled?: boolean;
}

export interface TokenInfo {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** "session" tokens come from a login; "api" tokens are made for systems (CI, MES). */
  readonly kind: "session" | "api";
}

export interface Principal {
  readonly username: string;
  readonly role: Role;
  readonly tokenId?: string;
}

/** Who is signed in, for every component that hides what the role may not do (see graph/roles.ts). */
import { createContext, useContext } from "react";
import { userOf, type User } from "./graph/roles.ts";
import { versionsApi } from "./versions-api.ts";

/** Undefined until GET /api/auth/me answers: then nothing is offered that needs a role. */
export const UserContext = createContext<User | undefined>(undefined);
export const useUser = () => useContext(UserContext);

/** The caller as the API sees it; with --no-auth that is the admin "anonymous". */
export async function fetchUser(): Promise<User | undefined> {
  return userOf((await versionsApi.me()).principal);
}

/** Auth gate: the login page when the server asks for a token, the editor once the catalog loads. */
import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useState } from "react";
import { api, ApiFailure, describeFailure, session } from "./api.ts";
import { Editor } from "./components/Editor.tsx";
import { Login } from "./components/Login.tsx";
import type { CatalogNode } from "./graph/catalog.ts";
import type { User } from "./graph/roles.ts";
import { fetchUser, UserContext } from "./session.ts";

type State = { view: "loading" } | { view: "login" } | { view: "failed"; message: string } | { view: "editor"; nodes: CatalogNode[]; user: User | undefined };

export function App() {
  const [state, setState] = useState<State>({ view: "loading" });
  const load = useCallback(async () => {
    try {
      const [{ nodes }, user] = await Promise.all([api.catalog(), fetchUser()]);
      setState({ view: "editor", nodes, user });
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 401) {
        session.clear();
        setState({ view: "login" });
      } else setState({ view: "failed", message: describeFailure(error) });
    }
  }, []);
  useEffect(() => void load(), [load]);

  switch (state.view) {
    case "loading":
      return <p className="centered">Loading…</p>;
    case "login":
      return <Login onLoggedIn={() => void load()} />;
    case "failed":
      return <p className="centered error" role="alert">{state.message}</p>;
    case "editor":
      return (
        <UserContext.Provider value={state.user}>
          <ReactFlowProvider>
            <Editor palette={state.nodes} onLogout={() => { session.clear(); setState({ view: "login" }); }} />
          </ReactFlowProvider>
        </UserContext.Provider>
      );
  }
}

export { getUser, requireUser, createUserSession, destroyUserSession, destroyAllSessions, sessionStorage, SESSION_COOKIE, type SessionUser } from "./session";
export {
  requireAgency,
  requireAgencyRole,
  requireWorkspace,
  listMyAgencies,
  notFound,
  forbidden,
  type AgencyRole,
  type StaffRole,
  type AgencyAccess,
  type WorkspaceAccess,
} from "./guards";
export { safeRedirect, DEFAULT_REDIRECT } from "./redirect";

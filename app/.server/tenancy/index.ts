export * from "./validation";
export * from "./users";
export * from "./agencies";
export * from "./workspaces";

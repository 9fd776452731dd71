export { cx } from "./cx";
export { Button, ButtonLink, buttonClass, type ButtonProps } from "./button";
export { Field, Input, Select, type FieldProps } from "./field";
export { Card, CardTitle } from "./card";
export { Badge } from "./badge";
export { Alert, FormErrorSummary } from "./alert";
export { PageHeader, EmptyState } from "./page-header";
export { NAV_ITEMS, navItemsFor, type NavItem, type NavRole } from "./nav";
export { AuthShell, Logo } from "./auth-shell";

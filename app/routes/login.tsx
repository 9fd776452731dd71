export default function Login() {
  return <main className="p-10"><h1 className="text-xl">Log in</h1></main>;
}

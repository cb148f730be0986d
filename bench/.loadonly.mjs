import { Pool } from "undici"
const [clients, ms, route] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]]
const pool = new Pool("http://127.0.0.1:18555", { connections: clients })
const deadline = Date.now() + ms
let n = 0
await Promise.all(Array.from({ length: clients }, async () => {
  while (Date.now() < deadline) { const r = await pool.request({ path: route, method: "GET" }); await r.body.arrayBuffer(); n++ }
}))
console.log(n); await pool.destroy()

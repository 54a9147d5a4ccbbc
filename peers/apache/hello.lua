-- Apache peer handler (mod_lua quick handler): wait, then send the same
-- 13-byte body as every other server. The wait comes from the environment
-- ([env] in the .toml) because this file is used as is, not rendered.
local delay_us = tonumber(os.getenv("PEER_DELAY_US") or "0") or 0

function handle(r)
    if delay_us > 0 then
        -- Blocks this process (prefork) or thread (event), as the model implies.
        r.usleep(delay_us)
    end
    r.content_type = "text/plain"
    r.headers_out["Content-Length"] = "13"
    r:puts("Hello, World!")
    return apache2.OK
end

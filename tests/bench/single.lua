-- single.lua -- one submission per POST, keep-alive, cycling over 100
-- sources mx0..mx99.example.com; no "time", so the collector takes now.
-- The same script drives the bare server, so both parse the same requests.
local n = 0
local headers = { ["Content-Type"] = "application/json" }
local bodies = {}
for i = 0, 99 do
   bodies[i] = string.format(
      '{"source":"mx%d.example.com","counts":{"spam":1,"ham":2}}', i)
end

request = function()
   n = (n + 1) % 100
   return wrk.format("POST", "/api/v1/counts", headers, bodies[n])
end

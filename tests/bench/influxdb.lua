-- influxdb.lua -- the single-submission load for InfluxDB 1.x: one
-- line-protocol point per request (server time), over 100 sources.
local n = 0
local bodies = {}
for i = 0, 99 do
   bodies[i] = string.format("mail,source=mx%d.example.com spam=1i,ham=2i", i)
end

request = function()
   n = (n + 1) % 100
   return wrk.format("POST", "/write?db=bench", nil, bodies[n])
end

-- source.lua -- one source per POST, with its X-Spamtrend-Source header (as
-- reporters send it, and as nginx routes on it in a cluster), keep-alive,
-- cycling over 100 sources mx0..mx99.example.com; no "time".
--   wrk ... -s source.lua URL [-- N]   N submissions of the source per POST
--                                      (an array, as a reporter's spool); 1:
--                                      one object
local n = 0
local bodies, headers = {}, {}

init = function(args)
   local per = tonumber(args[1] or "1")
   for i = 0, 99 do
      local one = string.format(
         '{"source":"mx%d.example.com","counts":{"spam":1,"ham":2}}', i)
      if per > 1 then
         bodies[i] = "[" .. string.rep(one, per, ",") .. "]"
      else
         bodies[i] = one
      end
      headers[i] = { ["Content-Type"] = "application/json",
                     ["X-Spamtrend-Source"] = string.format("mx%d.example.com", i) }
   end
end

request = function()
   n = (n + 1) % 100
   return wrk.format("POST", "/api/v1/counts", headers[n], bodies[n])
end

-- batch.lua -- a relay POSTing a prebuilt batch body, keep-alive.
--   wrk ... -s batch.lua URL -- BODYFILE [gzip]
local body, headers

init = function(args)
   local f = assert(io.open(args[1], "rb"))
   body = f:read("*a")
   f:close()
   headers = { ["Content-Type"] = "application/json" }
   if args[2] == "gzip" then
      headers["Content-Encoding"] = "gzip"
   end
end

request = function()
   return wrk.format("POST", "/api/v1/counts", headers, body)
end

-- wrk script: GET existing pods round robin; KYB_PATH is the collection path, KYB_COUNT how many exist.
local n = 0

function init(args)
  path = os.getenv("KYB_PATH")
  count = tonumber(os.getenv("KYB_COUNT"))
  n = id_offset or 0
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("KYB_TOKEN")
end

request = function()
  n = n + 1
  return wrk.format("GET", path .. "/p-" .. string.format("%05d", n % count), nil, nil)
end

function delay()
  return 500
end

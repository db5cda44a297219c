"""`python -m promisekeeper` runs the same CLI as `pk`."""

from promisekeeper.entry import main

main()

"""`python -m promisekeeper` runs the same CLI as `pk`."""

from promisekeeper.face.entry import main

main()

"""ctest fixture `report_generate`: runs the real smtpgate once per profile and writes every
report the other checks read, into $SMTPGATE_REPORT_WORK:

  open-relay.{json,junit.xml,sarif,html}   --embedded --profile open-relay (FAILs and a WARN)
  secure.json                              --embedded --profile secure
  combined.{html,sarif,junit.xml}          smtpgate report open-relay.json secure.json
"""
import os

import common


def main():
    args = common.parse_args()
    work = common.work_dir()
    out = lambda name: os.path.join(work, name)
    # Exit 1: the open relay FAILs, by design.
    common.run([args.smtpgate, "conform", "--embedded", "--profile", "open-relay",
                "--json", out("open-relay.json"), "--junit", out("open-relay.junit.xml"),
                "--sarif", out("open-relay.sarif"), "--html", out("open-relay.html")],
               expect=1, cwd=common.SOURCE)
    common.run([args.smtpgate, "conform", "--embedded", "--profile", "secure",
                "--json", out("secure.json")], expect=0, cwd=common.SOURCE)
    common.run([args.smtpgate, "report", out("open-relay.json"), out("secure.json"),
                "--html", out("combined.html"), "--sarif", out("combined.sarif"),
                "--junit", out("combined.junit.xml")], expect=0)
    for name in ["open-relay.json", "open-relay.junit.xml", "open-relay.sarif",
                 "open-relay.html", "secure.json", "combined.html", "combined.sarif",
                 "combined.junit.xml"]:
        common.check(os.path.getsize(out(name)) > 0, name + " is empty")
    common.finish("report_generate")


if __name__ == "__main__":
    main()

"""Demo content for Commons: a handful of agencies, people, entries and collections.

The data below is plain Python so it reads like the site it produces. `load()` creates
whatever is missing, keyed by slug and username, and never touches what already exists:
running it twice changes nothing. Every workflow step goes through `moderation`, so the
review log of each entry is real. Dates are relative to the day of loading, so the demo
always looks recent (and one entry is always due a review).

The agencies are fictional but plausible; all prose here was written for this demo."""

from datetime import timedelta
from textwrap import dedent

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from knowledgebase import moderation
from knowledgebase.models import (
    Agency,
    Channel,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    OutcomeMetric,
    Profile,
    Transition,
)
from knowledgebase.permissions import MODERATORS_GROUP

DEMO_PASSWORD = "commons-demo"
MODERATOR = "morgan"

Kind = Entry.Kind
State = Entry.State


def _md(text: str) -> str:
    return dedent(text).strip() + "\n"


AGENCIES = [
    {
        "slug": "fsda",
        "name": "Federal Service Delivery Administration",
        "acronym": "FSDA",
        "level": "federal",
    },
    {
        "slug": "cx-coe",
        "name": "Customer Experience Center of Excellence",
        "acronym": "CX CoE",
        "level": "federal",
        "parent": "fsda",
    },
    {
        "slug": "fba",
        "name": "Federal Benefits Administration",
        "acronym": "FBA",
        "level": "federal",
    },
    {
        "slug": "franklin-revenue",
        "name": "State of Franklin Department of Revenue",
        "acronym": "DOR",
        "level": "state",
    },
    {
        "slug": "franklin-workforce",
        "name": "State of Franklin Workforce Commission",
        "acronym": "FWC",
        "level": "state",
    },
    {
        "slug": "riverton-311",
        "name": "City of Riverton 311",
        "acronym": "Riverton 311",
        "level": "local",
    },
]

# role: contributor, moderator, admin or reader (a signed-in public servant who only reads).
USERS = [
    {
        "username": "alex",
        "first_name": "Alex",
        "last_name": "Rivera",
        "agency": "fba",
        "job_title": "Contact center program manager",
        "role": "contributor",
    },
    {
        "username": "priya",
        "first_name": "Priya",
        "last_name": "Natarajan",
        "agency": "franklin-revenue",
        "job_title": "Taxpayer experience lead",
        "role": "contributor",
    },
    {
        "username": "jordan",
        "first_name": "Jordan",
        "last_name": "Lee",
        "agency": "riverton-311",
        "job_title": "311 operations supervisor",
        "role": "contributor",
    },
    {
        "username": MODERATOR,
        "first_name": "Morgan",
        "last_name": "Blake",
        "agency": "cx-coe",
        "job_title": "Knowledge manager",
        "role": "moderator",
    },
    {
        "username": "admin",
        "first_name": "Dana",
        "last_name": "Whitfield",
        "agency": "fsda",
        "job_title": "Platform administrator",
        "role": "admin",
    },
    {
        "username": "riley",
        "first_name": "Riley",
        "last_name": "Chen",
        "agency": "franklin-workforce",
        "job_title": "Policy analyst",
        "role": "reader",
    },
]

# Each entry: content, facets, and its history. `days` are days before loading:
# created, submitted, decided (approved / changes requested / rejected), archived.
# Published entries are published on their `decided` day. `review_in` is days from today
# (negative: the review date has passed and the entry shows as stale).
# Outcome rows: (measure, baseline, result, unit, period, source).
ENTRIES = [
    {
        "slug": "callback-scheduling-cuts-phone-wait-times",
        "kind": Kind.CASE_STUDY,
        "title": "Scheduled callbacks cut phone wait times by more than half",
        "summary": (
            "The Federal Benefits Administration's national contact center replaced long hold "
            "queues with an offer to call people back and a web form to book a call at a set "
            "time. Average wait fell from 14 to 6 minutes and abandoned calls from 22% to 9%. "
            "Riverton 311 shared its callback scripts and queue rules, which saved months of "
            "design work."
        ),
        "body": _md(
            """
            ## Context

            The national contact center answers about 180,000 calls a month about benefit
            claims, payments and changes of address. In peak weeks, right after annual
            statements go out, callers waited on hold for 30 minutes or more, and one in five
            hung up before reaching anyone. Many of them called again later the same day,
            which made the queue longer still. Agents started most conversations with an
            apology.

            ## What we did

            We kept the same number of agents and changed how the queue works:

            - **Virtual hold.** When the expected wait passes five minutes, callers hear the
              estimate and can press 1 to keep their place and be called back. They do not
              lose their position in line.
            - **Book a time.** A short form on the website lets people pick a 30-minute
              window up to five working days ahead. About 15% of agent capacity is reserved
              for booked calls.
            - **Callback rules.** Two attempts, ten minutes apart, then a voicemail with a
              direct number that skips the queue. The caller ID shows the agency's name, so
              people pick up.
            - **Honest estimates.** The wait message is recalculated every minute from the
              live queue instead of a fixed recording.

            We did not design any of this from scratch. Riverton 311 had run callbacks for two
            years and shared their scripts, their rules for when to offer a callback, and the
            mistakes they had made with caller ID. Their supervisor joined our weekly
            stand-up for the first month.

            ## Results

            Over the following year the average wait fell from 14 to 6 minutes and abandoned
            calls from 22% to 9%. About 38% of callers who were offered a callback took it,
            and 93% of callbacks connected on the first or second attempt. Satisfaction with
            the phone line rose from 3.4 to 4.1 out of 5, measured with the survey described in
            [[post-transaction-satisfaction-survey]].

            Repeat calls within 24 hours dropped too, so agents spent less of their day with
            people who were already angry.

            ## What we would do differently

            We under-estimated how many people would book a time on the website. In the
            first month the booked slots were full by Tuesday and the form showed "no times
            available" for the rest of the week, which caused complaints of its own. Start
            with a smaller reserved share, watch it daily and adjust.

            We should also have talked to agents earlier. Some of them thought callbacks
            were a first step toward replacing them.

            ## How to replicate

            1. Check that your telephony platform supports virtual hold. Most current cloud
               contact-center products do, often at no extra license cost.
            2. Measure your baseline for at least a month: average wait, abandoned calls and
               repeat calls.
            3. Borrow scripts from a team that already runs callbacks and adapt the wording to
               your callers.
            4. Pilot on one queue, then expand.
            """
        ),
        "tags": ["call-centers", "wait-times", "callbacks", "customer-satisfaction"],
        "lead": "fba",
        "contributing": ["riverton-311", "cx-coe"],
        "authors": ["alex", "jordan"],
        "contact": "alex",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["phone", "web"],
        "started_ago": 560,
        "completed_ago": 400,
        "cost_band": Entry.CostBand.MEDIUM,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 350,
        "state": State.PUBLISHED,
        "days": {"created": 410, "submitted": 392, "decided": 380},
        "review_note": "Clear numbers and a generous how-to. Thank you both.",
        "featured_order": 1,
        "outcomes": [
            (
                "Average wait time on the phone line",
                14,
                6,
                "minutes",
                "Peak quarter, year before vs year after",
                "Contact center telephony reports",
            ),
            (
                "Calls abandoned before an agent answered",
                22,
                9,
                "%",
                "Peak quarter, year before vs year after",
                "Contact center telephony reports",
            ),
            (
                "Satisfaction with the phone line",
                3.4,
                4.1,
                "out of 5",
                "Twelve months before vs after",
                "Post-call survey, 11,800 responses",
            ),
            (
                "Calls resolved on first contact",
                64,
                71,
                "%",
                "Twelve months before vs after",
                "Quality assurance sample of 2,400 calls",
            ),
        ],
    },
    {
        "slug": "customer-experience-champion-network",
        "kind": Kind.BEST_PRACTICE,
        "title": "Build a network of customer experience champions",
        "summary": (
            "A champion network is a group of staff, one or two per team, who spend a few hours "
            "a month spotting customer pain points, testing small fixes and carrying good ideas "
            "between teams. Run across agencies, it spreads what works much faster than a "
            "central team can alone. How three agencies set one up and kept it going past the "
            "first year."
        ),
        "body": _md(
            """
            ## The practice

            Each participating team names one champion (two in large teams). Champions spend
            about four hours a month on customer experience: collecting complaints and
            compliments, watching how customers actually use a service, and bringing one
            problem and one fix to a monthly call. A small coordinating team (in our case two
            people at the Customer Experience Center of Excellence) runs the calls, keeps a
            shared list of open problems, and connects champions who face the same issue in
            different agencies.

            Champions are not a complaints desk and not a replacement for a design team.
            Their job is to notice, to test small changes, and to pass on what worked.

            ## Why it works

            - **Proximity.** Champions sit with the people who answer the phones and process
              the forms. They hear about problems weeks before those show up in survey results.
            - **Permission.** A named role, agreed with the champion's manager, makes it
              legitimate to spend time on improvement and not only on the caseload.
            - **Borrowing.** On the cross-agency calls, a state tax champion and a federal
              benefits champion often find they are fighting the same confusing letter or the
              same identity check. One of them usually has a fix already.
            - **Recognition.** Each quarter the network publishes short write-ups, many of them
              now in Commons, with the champions' names on them.

            ## How to start

            1. Find an executive sponsor who will write to managers asking them to release four
               hours a month per champion. Without that letter, champions drift away by the
               third month.
            2. Recruit volunteers, not nominees. Ask teams for someone who already complains
               constructively.
            3. Hold the first meeting in person if you can, then meet monthly online for one
               hour with a fixed agenda: one win, one problem, one request for help.
            4. Keep a single shared list of problems with an owner for each, and close items
               in public.
            5. After six months, invite a neighboring agency to join a call.

            ## Pitfalls

            - **Champion burnout.** The most engaged people get asked to do everything. Cap the
              time, rotate the role every 18 to 24 months, and thank people in writing, copying
              their managers.
            - **Talk without action.** If the calls turn into status updates, attendance falls.
              Every call should end with someone agreeing to try something.
            - **Central ownership creep.** The coordinating team connects and unblocks; it
              should not take over the fixes.
            - **No measures.** Track a few simple numbers (problems raised, problems closed,
              practices adopted by another team) so the sponsor can defend the time.
            """
        ),
        "tags": ["champion-networks", "cross-agency", "culture", "knowledge-sharing"],
        "lead": "cx-coe",
        "contributing": ["fba", "franklin-revenue", "franklin-workforce"],
        "authors": ["priya", "alex"],
        "contact": MODERATOR,
        "audience": Entry.Audience.BOTH,
        "channels": [],
        "started_ago": 900,
        "completed_ago": None,
        "cost_band": Entry.CostBand.LOW,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 200,
        "state": State.PUBLISHED,
        "days": {"created": 560, "submitted": 535, "decided": 520},
        "featured_order": 3,
        "outcomes": [],
    },
    {
        "slug": "post-transaction-satisfaction-survey",
        "kind": Kind.GUIDE,
        "title": "How to run a post-transaction customer satisfaction survey",
        "summary": (
            "Step by step: how to ask customers, right after they finish a task, how it went. "
            "Which three questions to ask, when and where to ask them, how many responses you "
            "need, and how to report the results so that they lead to changes. Based on the "
            "question set now shared by several federal and state agencies."
        ),
        "body": _md(
            """
            ## Before you start

            This guide is for teams that want to know how a service feels to the people using
            it, measured the same way every month. Expect about six weeks from the first
            meeting to the first report. You need someone who can change the service's
            confirmation page or message, and someone comfortable with a spreadsheet.

            Check your agency's rules on surveys first. Federal customer feedback surveys
            usually fall under a generic clearance for information collection; your
            clearance officer can tell you which one applies. State and local rules vary.

            ## Step 1: Pick the moments that matter

            Do not survey everything. Choose two or three transactions that many people
            complete and that matter to them: applying for a benefit, renewing a license,
            setting up a payment. Ask right after the transaction, not weeks later about
            "your experience with the agency".

            ## Step 2: Ask few, consistent questions

            We use three statements, each on a five-point scale from "strongly disagree" to
            "strongly agree":

            1. I was able to do what I came to do.
            2. It was easy to do.
            3. I trust this agency to handle my information properly.

            Add one open question: "What is one thing we could do better?" Resist adding
            more. Every extra question lowers the response rate, and keeping the same wording
            lets you compare services, channels and agencies.

            ## Step 3: Ask at the right time

            - **Web and mobile:** on the confirmation page, as one short inline form. No
              pop-ups.
            - **Phone:** an optional two-question survey at the end of the call, offered by the
              agent.
            - **In person:** a card with a QR code and a short web address, handed over with
              the receipt.

            ## Step 4: Get enough responses

            For a monthly figure you can trust to within about five points, aim for roughly
            400 responses per service per month. With fewer, report quarterly instead. Always
            show the number of responses next to the score.

            ## Step 5: Report so that something changes

            Publish one page a month per service: the three scores, the trend over twelve
            months, the number of responses, and the five most common themes in the open
            comments. Put a named owner next to each theme. A score nobody owns does not move.

            ## Step 6: Close the loop

            Tell customers and staff what changed because of their feedback, on the website
            and in team meetings. Response rates rise when people can see that answers are
            read.

            ## Common mistakes

            - Changing the wording every year, which breaks the trend.
            - Reporting averages without the number of responses.
            - Sending the survey by email days later, when people have forgotten the details.
            """
        ),
        "tags": ["customer-satisfaction", "surveys", "measurement"],
        "lead": "cx-coe",
        "contributing": ["fba"],
        "authors": ["alex", MODERATOR],
        "contact": MODERATOR,
        "reviewer": "admin",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["web", "mobile", "phone", "in-person"],
        "started_ago": 700,
        "completed_ago": 520,
        "cost_band": Entry.CostBand.LOW,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 280,
        "state": State.PUBLISHED,
        "days": {"created": 480, "submitted": 462, "decided": 450},
        "outcomes": [],
    },
    {
        "slug": "mobile-payment-plan-setup",
        "kind": Kind.CASE_STUDY,
        "title": "Tax payment plans that work on a phone",
        "summary": (
            "Taxpayers who could not pay in full used to set up a payment plan on a desktop-only "
            "form or by phone. The State of Franklin Department of Revenue rebuilt it as a "
            "short, mobile-first flow. Plans set up online without help rose from 31% to 58%, "
            "and calls about payment plans fell by more than a third in the next filing season."
        ),
        "body": _md(
            """
            ## Context

            Each year about 60,000 taxpayers in the State of Franklin owe a balance they cannot
            pay at once. They may spread it over up to 24 months, but the online form for
            setting up a plan was built for a desktop browser: 14 fields on one page, a PDF
            agreement to download and sign, and a session that timed out after ten minutes.
            Our analytics showed that two thirds of visits to the form came from phones, and
            most of those never finished. People called instead, and payment plans were the
            largest single reason for calls in filing season.

            ## What we did

            We redesigned the flow for a small screen first, with a designer lent to us for
            four months by the Customer Experience Center of Excellence.

            - Split the form into five short steps, one question per screen where possible.
            - Removed fields we already knew from the tax return, such as address and filing
              status.
            - Replaced the PDF with a plain-language summary and an "I agree" checkbox, once our
              legal team confirmed that an electronic agreement was enough.
            - Showed the monthly amount changing as people chose the number of months.
            - Extended the session timeout and saved progress at every step.

            Before writing any code we read Riverton 311's lesson,
            [[riverton-app-before-mobile-web|an app launched before the website worked on phones]],
            and decided not to build an app. All the effort went into the mobile web flow,
            tested with taxpayers in our walk-in offices on their own phones.

            ## Results

            In the first filing season after launch, 58% of new payment plans were set up
            online without help, up from 31%. The median time to set up a plan fell from 25 to
            9 minutes. Monthly calls about payment plans dropped from about 4,200 to 2,600,
            which freed agents for harder cases. Defaults on new plans did not rise, which had
            been the finance office's main worry.

            ## What we would do differently

            We should have involved the collections staff from the first week. They knew which
            questions confused people, and bringing them in late cost us two extra rounds of
            redesign.

            ## How to replicate

            1. Look at your analytics by device before deciding what to build.
            2. Ask your lawyers early whether a signature is really required.
            3. Test on the phones people actually own, including older and cheaper ones.
            4. Estimate the calls you expect to save, and tell the contact center when the
               change goes live.
            """
        ),
        "tags": ["mobile", "forms", "payments", "service-design"],
        "lead": "franklin-revenue",
        "contributing": ["cx-coe"],
        "authors": ["priya"],
        "contact": "priya",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["mobile", "web", "phone"],
        "started_ago": 330,
        "completed_ago": 160,
        "cost_band": Entry.CostBand.MEDIUM,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 620,
        "state": State.PUBLISHED,
        "days": {"created": 140, "submitted": 121, "decided": 110},
        "review_note": "Lovely to see the Riverton lesson put to use.",
        "featured_order": 2,
        "outcomes": [
            (
                "Payment plans set up online without help",
                31,
                58,
                "%",
                "Filing season, year before vs year after",
                "Payment system records",
            ),
            (
                "Median time to set up a plan",
                25,
                9,
                "minutes",
                "Usability sessions and web analytics",
                "Department of Revenue web analytics",
            ),
            (
                "Phone calls about payment plans",
                4200,
                2600,
                "calls a month",
                "Filing season average",
                "Contact center call reasons",
            ),
        ],
    },
    {
        "slug": "riverton-app-before-mobile-web",
        "kind": Kind.LESSON_LEARNED,
        "title": "We launched an app before our website worked on phones",
        "summary": (
            "Riverton 311 launched a mobile app for reporting potholes and missed trash pickups. "
            "Few people installed it, and most residents kept reporting through a website that "
            "was hard to use on a phone. The lesson: for tasks people do once or twice a year, "
            "fix the mobile website first."
        ),
        "body": _md(
            """
            ## What happened

            Riverton 311 launched a mobile app for reporting potholes, missed trash pickups and
            broken streetlights. The launch had a press event, a marketing budget and a target
            of 25,000 downloads in the first year.

            We reached about 6,000. Most people who reported problems from their phones still
            did it through our website, which was not built for phones: the reporting form
            needed pinching and zooming, the map did not work with a finger, and photo uploads
            failed on slow connections. Complaints about the website went up in the same
            months that we were promoting the app.

            When we looked at who used the app, it was mostly people who already reported
            problems often. The residents we most wanted to reach, people who report one
            problem a year, searched for "Riverton pothole", landed on the website, and gave up
            or called.

            ## What we learned

            - **People do not install an app for a task they do once or twice a year.** An app
              makes sense for frequent tasks; occasional tasks start from a search engine.
            - **The website is the front door on mobile too.** Every link in a text message, a
              social media post or a search result opens the website, not the app.
            - **Two products doubled the work.** Every change to the reporting categories had
              to be made in the app, on the website and in the agents' system, and they fell
              out of step.
            - **The launch target measured the wrong thing.** Downloads said nothing about
              whether problems were reported and fixed.

            ## What we changed

            We rebuilt the reporting form as a responsive web page that works on any phone: one
            question per screen, a map that works with a finger, photo uploads that shrink
            images before sending, and a "describe the location" box for people who prefer not
            to share their location.

            We kept the app running for its regular users for a while, then retired it and
            pointed it to the website. We now measure completed reports by channel, and the
            share of reports that reach the right crew the first time, not downloads.

            Other teams have since used this lesson, including the State of Franklin Department
            of Revenue in [[mobile-payment-plan-setup]].
            """
        ),
        "tags": ["mobile", "apps", "service-design", "digital-services"],
        "lead": "riverton-311",
        "contributing": [],
        "authors": ["jordan"],
        "contact": "jordan",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["mobile", "web"],
        "started_ago": 1000,
        "completed_ago": 700,
        "cost_band": Entry.CostBand.MEDIUM,
        "practice_status": Entry.PracticeStatus.RETIRED,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": -30,
        "state": State.PUBLISHED,
        "days": {"created": 640, "submitted": 612, "decided": 600},
        "outcomes": [],
    },
    {
        "slug": "internal-customer-service-levels",
        "kind": Kind.BEST_PRACTICE,
        "title": "Service promises for internal customers: HR, IT and facilities",
        "summary": (
            "Publish and measure service promises for the services one part of government "
            "provides to another, such as system access, new equipment and payroll corrections. "
            "Treating employees as customers ends the chasing, shows where delays really are, "
            "and helps the front line serve the public."
        ),
        "body": _md(
            """
            ## The practice

            Write down, publish and measure service promises for the services that one part
            of government provides to another: hiring actions, IT access requests, facilities
            work orders, payroll corrections. Treat the employees and managers who use those
            services as customers, with the same tools you would use for the public: a clear
            promise, a way to track a request, and a short survey when it is done.

            The shared-services office at the Federal Service Delivery Administration now
            publishes a one-page service catalog with a promise for each of its 22 most-used
            services, for example "laptop ready on your first day if requested ten working
            days ahead" or "payroll correction made in the next pay period". Each promise has
            a monthly figure next to it showing how often it was kept.

            ## Why it works

            - **Internal problems become external problems.** A new claims processor who waits
              three weeks for system access means three weeks of claims nobody processes.
              Front-line service depends on back-office service.
            - **Clear promises end the chasing.** Before the catalog, managers sent follow-up
              emails and phoned around because they had no idea how long anything should take.
              Those follow-ups were a large share of the shared-services workload.
            - **Measurement shows where the delays really are.** Our figures showed that most
              late laptops were not an IT problem at all: the request arrived after the start
              date.

            ## How to start

            1. List the internal services people ask about most. Help-desk tickets and the
               questions managers send by email are a good source.
            2. For each, agree a realistic promise with the team that delivers it. Start from
               what you already achieve four times out of five, not an aspiration.
            3. Publish the catalog where employees look for help, with the request link next to
               each promise.
            4. Track whether each promise was kept, and publish the figures monthly.
            5. Ask two questions when a request is closed: was it done, and was it easy?
            6. Review the promises every six months with a small group of internal customers.

            ## Pitfalls

            - **Promises without data.** If you cannot measure a promise yet, do not publish it
              yet.
            - **Blaming the customer.** When a promise is missed because the request came late,
              fix the request process (reminders, a checklist for hiring managers), not only
              the wording of the promise.
            - **Too many services.** A catalog of 200 items is not read. Start with the 20 that
              matter.
            - **Forgetting the front line.** Ask the staff who serve the public which internal
              services slow them down most; they are the internal customers with the most at
              stake.
            """
        ),
        "tags": ["internal-customers", "service-levels", "shared-services"],
        "lead": "fsda",
        "contributing": ["fba"],
        "authors": ["admin", "alex"],
        "contact": "alex",
        "audience": Entry.Audience.INTERNAL,
        "channels": ["web", "phone", "in-person"],
        "started_ago": 620,
        "completed_ago": 380,
        "cost_band": Entry.CostBand.NONE,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.GOVERNMENT,
        "review_in": 400,
        "state": State.PUBLISHED,
        "days": {"created": 330, "submitted": 312, "decided": 300},
        "outcomes": [],
    },
    {
        "slug": "state-city-contact-center-practice-exchange",
        "kind": Kind.CASE_STUDY,
        "title": "A practice exchange between state and city contact centers",
        "summary": (
            "Three contact centers that share many of the same callers (a city 311 line, a state "
            "tax agency and a state workforce agency) started a monthly practice exchange with "
            "job shadowing and warm transfers between agencies. In a year, seven practices moved "
            "between them and first-contact resolution at Riverton 311 rose from 61% to 72%."
        ),
        "body": _md(
            """
            ## Context

            Riverton 311, the State of Franklin Department of Revenue and the State of Franklin
            Workforce Commission all run contact centers in the same metropolitan area. Many
            of their callers are the same people: a resident who has lost a job may call about
            unemployment benefits, a tax bill and a city utility account in the same week.
            Until recently the three centers had never compared notes. Their supervisors met
            by chance at a regional event and found they were solving the same problems
            separately.

            ## What we did

            We set up a lightweight exchange, modeled on the
            [[customer-experience-champion-network|champion network]]:

            - **A monthly call** of one hour between the three supervisors and one champion
              from each center. Each center brings one thing that worked and one problem.
            - **Job shadowing.** Each quarter, two agents from each center spend half a day
              listening to calls at another center.
            - **An exchange log**, a plain shared spreadsheet recording each practice offered,
              who tried it and what happened.
            - **Warm transfers between agencies.** Agents have each other's direct queue
              numbers, so a caller with a question for another agency is transferred with a
              short summary instead of being told to call a different number.

            None of this needed a formal agreement, new money or new systems. Each director
            signed a one-page note allowing staff time for the calls and the shadowing.

            ## Results

            In the first twelve months, seven practices moved from one center to another,
            among them Riverton's callback rules, the Department of Revenue's plain-language
            scripts for explaining penalties, and the Workforce Commission's approach to
            callers in distress.

            First-contact resolution at Riverton 311 rose from 61% to 72%, which the team puts
            mostly down to the warm transfers. Average handling time on the Workforce
            Commission's claims line fell from 11.5 to 9.8 minutes after it adopted the
            Revenue scripts for explaining overpayments.

            ## What we would do differently

            Write things down from the start. For the first three months the exchange lived in
            people's heads, and two good ideas were lost when a supervisor changed jobs. We
            now publish each adopted practice in Commons.

            ## How to replicate

            1. Find the contact centers that share your callers; they are often in the same
               city or region.
            2. Start with a monthly call between supervisors, and add shadowing once there is
               trust.
            3. Keep one exchange log and review it every quarter.
            4. Swap direct transfer numbers. It costs nothing and callers notice at once.
            """
        ),
        "tags": ["knowledge-sharing", "cross-agency", "call-centers", "first-contact-resolution"],
        "lead": "riverton-311",
        "contributing": ["franklin-revenue", "franklin-workforce"],
        "authors": ["jordan", "priya"],
        "contact": "jordan",
        "audience": Entry.Audience.BOTH,
        "channels": ["phone", "in-person"],
        "started_ago": 420,
        "completed_ago": 200,
        "cost_band": Entry.CostBand.NONE,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 500,
        "state": State.PUBLISHED,
        "days": {"created": 200, "submitted": 181, "decided": 170},
        "outcomes": [
            (
                "Practices adopted from a partner agency",
                0,
                7,
                "practices",
                "First twelve months",
                "Exchange log kept by the three supervisors",
            ),
            (
                "First-contact resolution at Riverton 311",
                61,
                72,
                "%",
                "Twelve months before vs after",
                "Riverton 311 case management system",
            ),
            (
                "Average handling time, Workforce Commission claims line",
                11.5,
                9.8,
                "minutes",
                "Quarter before vs quarter after adoption",
                "Workforce Commission telephony reports",
            ),
        ],
    },
    {
        "slug": "plain-language-notices-guide",
        "kind": Kind.GUIDE,
        "title": "Writing notices in plain language, step by step",
        "summary": (
            "A seven-step guide for anyone who writes or approves letters and notices to the "
            "public: start from the reader's questions, put the action and the deadline first, "
            "test with five readers, get legal approval without losing the plain words, and "
            "measure the calls a notice generates. Replaces our earlier one-page checklist."
        ),
        "body": _md(
            """
            ## Who this guide is for

            Anyone who writes or approves letters and notices sent to the public: balance-due
            notices, benefit decisions, requests for documents. It replaces our earlier
            [[plain-language-letter-checklist|checklist for letters]], which covered wording
            but not how to test a notice or get it approved.

            ## Step 1: Start from the reader's questions

            Before writing, list the questions the reader will have when they open the
            envelope. Usually: What is this about? Do I have to do something? By when? What
            happens if I don't? Answer them on the first page, in that order.

            ## Step 2: Put the action first

            Open with what the reader needs to do and the deadline, in one sentence: "Pay $412
            by June 30, or call us to set up a payment plan." Legal references and background
            come later, or on the back.

            ## Step 3: Use everyday words

            - Say "you" and "we".
            - Prefer short words: "send" rather than "remit", "by" rather than "no later than".
            - Keep most sentences under 20 words.
            - Use headings that are questions the reader might ask.
            - Write amounts and dates the same way every time.

            ## Step 4: Test with five readers

            Print the draft and ask five people who have never seen it to read it and tell you
            what they need to do. Colleagues from another team will do; members of the public
            are better. If two of the five get it wrong, revise and test again. A round takes a
            morning.

            ## Step 5: Get it approved without losing the plain words

            Legal and policy reviewers often put the formal wording back. Bring the test
            results to the review, and ask reviewers to mark which statements are legally
            required rather than rewrite them. Put the required statements in a clearly
            labeled section.

            ## Step 6: Measure after sending

            Track the calls a notice generates and the share of readers who act by the
            deadline. At the Department of Revenue, calls about the rewritten balance-due
            notice fell by about a quarter in the first three months, and more people paid on
            time.

            ## Step 7: Keep a library

            Store approved notices, and the reasons behind wording choices, in one shared
            place so the next writer does not start again. The Workforce Commission now reuses
            several of our paragraphs about deadlines and appeal rights.
            """
        ),
        "tags": ["plain-language", "notices", "content-design"],
        "lead": "franklin-revenue",
        "contributing": ["franklin-workforce", "cx-coe"],
        "authors": ["priya"],
        "contact": "priya",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["mail", "web"],
        "started_ago": 240,
        "completed_ago": 90,
        "cost_band": Entry.CostBand.NONE,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 700,
        "state": State.PUBLISHED,
        "days": {"created": 70, "submitted": 52, "decided": 45},
        "featured_order": 4,
        "outcomes": [],
    },
    {
        "slug": "plain-language-letter-checklist",
        "kind": Kind.BEST_PRACTICE,
        "title": "A one-page plain language checklist for letters",
        "summary": (
            "Before any letter to the public goes out, the writer and one reviewer go through a "
            "six-point checklist: purpose and action first, real dates, short sentences, no "
            "unexplained abbreviations, contact details on page one, and one read-through aloud."
        ),
        "body": _md(
            """
            ## The practice

            Before any letter to the public goes out, the writer and one reviewer go through a
            short checklist together:

            - The first paragraph says what the letter is about and what the reader must do.
            - Every deadline is a date, not a number of days "from the date of this notice".
            - Sentences average fewer than 20 words.
            - No unexplained abbreviations or form numbers.
            - A phone number and a web address are on the first page.
            - Someone has read the letter aloud once, start to finish.

            The checklist fits on one page and is kept next to the letter templates.

            ## Why it works

            Most unclear letters are not written by careless people. They are assembled from
            old templates and legal paragraphs over many years. A checklist gives writers
            permission to question that inherited text, and gives reviewers a shared standard,
            so feedback is about the reader rather than personal style.

            Reading aloud catches more problems than any other item on the list. Sentences
            that are hard to say are hard to read.

            ## How to start

            1. Pick the five letters you send most often.
            2. Go through each with the checklist, together with someone from the team that
               answers calls about it.
            3. Fix what you can without legal review, and list the rest for the next template
               update.
            4. Add the checklist to your template approval process.

            ## Pitfalls

            - Treating the checklist as a box to tick at the very end, after the letter has
              been approved.
            - Leaving out contact-center staff, who know exactly which sentences cause calls.
            - Stopping at wording. A clear letter that arrives after the deadline it mentions
              is still a bad letter.
            """
        ),
        "tags": ["plain-language", "notices", "checklists"],
        "lead": "franklin-revenue",
        "contributing": [],
        "authors": ["priya"],
        "contact": "priya",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["mail"],
        "started_ago": 900,
        "completed_ago": 760,
        "cost_band": Entry.CostBand.NONE,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": 60,
        "state": State.PUBLISHED,
        "days": {"created": 720, "submitted": 700, "decided": 690},
        "outcomes": [],
    },
    {
        "slug": "accessibility-testing-with-real-users",
        "kind": Kind.LESSON_LEARNED,
        "title": "Automated accessibility scans missed what real users found",
        "summary": (
            "Two automated scanners passed the Workforce Commission's new unemployment claim "
            "form. A half-day session with six assistive-technology users a week before launch "
            "found that none of them could finish a claim alone. Launch slipped by three weeks; "
            "testing with disabled users is now booked at the start of every project."
        ),
        "body": _md(
            """
            ## What happened

            Before relaunching our unemployment claim application, we ran two automated
            accessibility scanners on every page. Both reported no serious errors, and the
            project board treated accessibility as done.

            A week before launch, the Customer Experience Center of Excellence offered to fund
            a half-day of testing with six people who use assistive technology: two
            screen-reader users, one person using voice control, one using screen
            magnification, one using only a keyboard because of a tremor, and one person with
            a cognitive disability. None of the six could finish a claim without help.

            The problems were all things a scanner cannot judge:

            - Error messages appeared at the top of a long page, and screen-reader users were
              never told that the form had not been accepted.
            - The date picker could not be operated by voice.
            - The session warning gave 60 seconds to respond, not enough for a magnifier user
              to find it on the screen.
            - Instructions referred to "the green button on the right".
            - Questions about work history used legal terms that several testers, and several
              of us, could not explain.

            ## What we learned

            - **A clean scan is a starting point, not a result.** Automated tools catch a
              minority of the problems that block people; the rest take people to find.
            - **Test with assistive-technology users early.** Testing a week before launch left
              no time to fix everything properly.
            - **Accessibility fixes help everyone.** Clearer errors and longer timeouts reduced
              abandonment for all applicants, not only disabled ones.

            ## What we changed

            We delayed the launch by three weeks to fix error handling and the timeout, and
            fixed the rest over the following two months. Every major release now includes a
            session with at least five assistive-technology users, booked at the start of the
            project rather than the end, and our next form contract requires it. We also
            rewrote the work-history questions in plain language with the help of the
            Department of Revenue's notice writers.
            """
        ),
        "tags": ["accessibility", "usability-testing", "forms", "digital-services"],
        "lead": "franklin-workforce",
        "contributing": ["cx-coe", "franklin-revenue"],
        "authors": [MODERATOR],
        "contact": MODERATOR,
        "reviewer": "admin",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["web", "mobile"],
        "started_ago": 380,
        "completed_ago": 270,
        "cost_band": Entry.CostBand.LOW,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.GOVERNMENT,
        "review_in": 450,
        "state": State.PUBLISHED,
        "days": {"created": 262, "submitted": 250, "decided": 240},
        "outcomes": [],
    },
    {
        "slug": "benefits-chat-assistant-pilot",
        "kind": Kind.CASE_STUDY,
        "title": "Piloting a chat assistant for benefit payment questions",
        "summary": (
            "A twelve-week pilot of a chat assistant on the Federal Benefits Administration's "
            "payment help pages. It answers only from reviewed help articles, never asks for "
            "personal information, and offers a person from the first message. Draft: results "
            "so far from the first six weeks."
        ),
        "body": _md(
            """
            ## Context

            Our website gets about two million visits a month, and the contact center hears
            the same twenty questions all day: when will my payment arrive, how do I change my
            address, what does this letter mean. We want to know whether a chat assistant that
            answers only from our published help pages can handle some of these questions, and
            hand over to a person when it cannot.

            ## What we did

            We are piloting the assistant on the payment help pages only, for twelve weeks.

            - It answers only from 140 reviewed help articles and always links to the article
              it used.
            - It does not see or ask for personal information; account questions go straight
              to a person.
            - Every conversation offers "talk to a person" from the first message.
            - Four agents review a sample of 200 conversations each week and correct the help
              articles when the assistant gets something wrong.

            ## Results so far

            After six weeks, 41% of conversations ended without a handoff and with the
            customer saying the answer helped. We do not yet have a comparable baseline for
            calls about payment dates; the finance team is pulling last year's figures.

            The weekly reviews have already found 23 help articles that were out of date or
            contradicted each other. That alone may justify the pilot.

            ## What we would do differently

            _To be written when the pilot ends._

            ## How to replicate

            _Notes so far:_ start with a narrow set of pages; agree the handoff rules with the
            contact center before launch; budget reviewer time every week; publish what the
            assistant can and cannot do.
            """
        ),
        "tags": ["chat", "digital-services", "self-service", "pilots"],
        "lead": "fba",
        "contributing": [],
        "authors": ["alex"],
        "contact": "alex",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["web", "mobile"],
        "started_ago": 45,
        "completed_ago": None,
        "cost_band": Entry.CostBand.MEDIUM,
        "practice_status": Entry.PracticeStatus.PILOTED,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": None,
        "state": State.DRAFT,
        "days": {"created": 12},
        "outcomes": [
            (
                "Chat conversations resolved without a handoff",
                None,
                41,
                "%",
                "Pilot weeks 1 to 6",
                "Weekly pilot review log",
            ),
        ],
    },
    {
        "slug": "customer-effort-score-across-channels",
        "kind": Kind.BEST_PRACTICE,
        "title": "Compare customer effort across channels with one question",
        "summary": (
            "Ask the same customer-effort question after every transaction, whatever the "
            "channel, and report web, phone, mail and in-person results side by side. Gaps "
            "between channels for the same task point at specific things to fix."
        ),
        "body": _md(
            """
            ## The practice

            Ask one customer-effort question after every transaction, whatever the channel
            ("How easy was it to do what you needed today?" on a five-point scale) and report
            the results side by side for web, phone, mail and in person. Use exactly the same
            wording everywhere.

            ## Why it works

            Satisfaction scores differ by channel for reasons that have little to do with the
            service: people who call are often already frustrated. Effort is easier to compare.
            When the same task is easy on the web and hard on the phone, or the other way
            round, the gap points at something specific.

            At the Department of Revenue, comparing effort showed that setting up a payment
            plan was rated easy by 74% of web users but only 49% of callers, because callers
            were transferred twice on average. Fixing the transfer rules closed most of the gap
            within one filing season. The Workforce Commission found the opposite for new
            claims: the phone was easier than the web form.

            ## How to start

            1. Agree the exact wording with every channel owner. Have it translated once,
               professionally, for each language you serve.
            2. Add it at the end of each channel: the web confirmation page, an optional
               question at the end of a call, a card at the counter, a short line in letters
               pointing to a web address.
            3. Tag each response with the task and the channel.
            4. Report monthly, by task and channel, with the number of responses.
            5. Pick the largest gap each quarter and fix it.

            ## Pitfalls

            - **Different wording per channel.** Even small changes ("easy" or "simple") make
              comparisons unreliable.
            - **Few mail responses.** Few people answer paper surveys; report mail quarterly or
              point to a web link.
            - **Averaging across tasks.** A channel can be easy for one task and hard for
              another; always break results down by task.
            - **Ranking staff by the score.** Effort reflects the process, not the person who
              answered the phone. Say so when you introduce it.
            """
        ),
        "tags": ["customer-effort", "measurement", "omnichannel", "customer-satisfaction"],
        "lead": "franklin-revenue",
        "contributing": ["franklin-workforce"],
        "authors": ["priya"],
        "contact": "priya",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["web", "phone", "mail", "in-person"],
        "started_ago": 400,
        "completed_ago": 60,
        "cost_band": Entry.CostBand.LOW,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": None,
        "state": State.SUBMITTED,
        "days": {"created": 15, "submitted": 6},
        "submit_note": "Ready for review. Riley at the Workforce Commission checked their figures.",
        "outcomes": [],
    },
    {
        "slug": "internal-it-help-desk-pulse",
        "kind": Kind.CASE_STUDY,
        "title": "A two-question pulse survey for the city's IT help desk",
        "summary": (
            "City staff said the internal IT help desk was slow and unhelpful, but there were "
            "no figures. Riverton added a two-question survey to every closed ticket, found "
            "three recurring complaints and fixed them. Now 86% of respondents say their "
            "problem was fixed."
        ),
        "body": _md(
            """
            ## Context

            The City of Riverton has about 4,000 employees who depend on a central IT help desk
            for password resets, new equipment and software problems. The 311 team, which also
            answers the help desk's phone line, kept hearing from colleagues that the desk was
            "slow and unhelpful", but had no figures to test that against.

            ## What we did

            We added a two-question pulse survey to every closed help-desk ticket:

            1. Was your problem fixed? (yes, partly, no)
            2. How easy was it to get help? (five-point scale)

            There is also an optional comment box, and department heads encouraged their
            teams to answer. Results go to a dashboard that the help-desk supervisors review
            every Monday.

            The comments showed three recurring complaints: tickets closed before the problem
            was fixed, no news on long-running requests, and equipment for new starters
            arriving late. We changed the closing rule so a ticket is closed only after the
            requester confirms, added an automatic weekly update on open tickets, and started
            a new-starter checklist with human resources.

            ## Results

            In the last quarter, 86% of respondents said their problem was fixed and 78% said
            it was easy to get help. The response rate was 34%.

            ## What we would do differently

            Start the survey before making any changes, so that we can show what difference
            the changes made.

            ## How to replicate

            Add a short survey when tickets are closed, review the answers every week with the
            people who can act on them, and tell staff what changed as a result.
            """
        ),
        "tags": ["internal-customers", "help-desk", "surveys"],
        "lead": "riverton-311",
        "contributing": [],
        "authors": ["jordan"],
        "contact": "jordan",
        "audience": Entry.Audience.INTERNAL,
        "channels": ["phone", "web"],
        "started_ago": 300,
        "completed_ago": 30,
        "cost_band": Entry.CostBand.NONE,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.GOVERNMENT,
        "review_in": None,
        "state": State.CHANGES_REQUESTED,
        "days": {"created": 30, "submitted": 20, "decided": 16},
        "review_note": (
            "Thanks, Jordan, this is useful and we would like to publish it. Before we do: the "
            "Results section gives only the figures after the changes. Please add a baseline "
            "(even a rough one, such as complaint counts from before the survey started) and "
            "say who collected the numbers, so readers can judge the change. A sentence on what "
            "it cost in staff time would help too."
        ),
        "outcomes": [
            (
                "Requesters who said their problem was fixed",
                None,
                86,
                "%",
                "Last quarter",
                "Help-desk pulse survey",
            ),
            (
                "Requesters who said it was easy to get help",
                None,
                78,
                "%",
                "Last quarter",
                "Help-desk pulse survey",
            ),
        ],
    },
    {
        "slug": "queue-software-vendor-review",
        "kind": Kind.BEST_PRACTICE,
        "title": "Why QueueWise Pro is the best queue system for contact centers",
        "summary": (
            "After evaluating four contact-center queue products, we chose QueueWise Pro. This "
            "entry lists its features and prices and recommends it to other agencies."
        ),
        "body": _md(
            """
            ## The practice

            Use QueueWise Pro for your contact center queue. We evaluated four products last
            year and chose it, and we think every agency should look at it first.

            ## Why it works

            QueueWise Pro has the best callback feature we have seen. It offers:

            - virtual hold and scheduled callbacks out of the box;
            - a drag-and-drop editor for call scripts;
            - wallboards and real-time dashboards for supervisors;
            - connectors for the most common telephony platforms;
            - speech analytics as an optional add-on.

            The per-seat license was the second cheapest of the four products, and the vendor
            offers a discount to government customers. Setup took our vendor's team about six
            weeks. Their support line answered every question we had within a day, and they
            sent an engineer on site for the go-live weekend at no extra charge.

            Agents like the interface. It looks modern and they needed only half a day of
            training, compared with two days for our old system.

            ## How to start

            Contact the vendor's government sales team and ask for a demonstration and the
            government price list. They offer a free 60-day trial for up to 20 seats, which is
            enough to test one queue. Ask for the speech analytics add-on to be included in
            the trial, because it is hard to judge from the brochure.

            ## Pitfalls

            - The speech analytics add-on is expensive, so budget for it separately.
            - Reports can be exported only as CSV files, so you may need someone to build
              charts in a spreadsheet.
            - The mobile supervisor app is still in beta.
            - Check your contract's data retention terms: call recordings are kept for two
              years by default.
            """
        ),
        "tags": ["call-centers", "procurement", "callbacks"],
        "lead": "fba",
        "contributing": [],
        "authors": ["alex"],
        "contact": "alex",
        "audience": Entry.Audience.INTERNAL,
        "channels": ["phone"],
        "started_ago": 500,
        "completed_ago": 400,
        "cost_band": Entry.CostBand.HIGH,
        "practice_status": Entry.PracticeStatus.PRODUCTION,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": None,
        "state": State.REJECTED,
        "days": {"created": 70, "submitted": 60, "decided": 55},
        "review_note": (
            "Commons shares practices, not product recommendations, and this entry is mostly a "
            "comparison of one vendor's features and prices, so we cannot publish it. How you "
            "ran the procurement (your requirements, the pilot, what you measured and what you "
            "would tell another agency) would make a very welcome new entry."
        ),
        "outcomes": [],
    },
    {
        "slug": "fax-back-tax-forms",
        "kind": Kind.CASE_STUDY,
        "title": "Fax-back service for tax forms",
        "summary": (
            "An automated fax-back line let tax preparers and small businesses get blank tax "
            "forms in minutes instead of waiting a week for the mail. Calls asking for paper "
            "forms fell from 5,400 to 3,100 a month in filing season. Retired since: forms are "
            "downloadable and mailed on request."
        ),
        "body": _md(
            """
            ## Context

            Small businesses and tax preparers often needed a blank form quickly in filing
            season, many of them from offices without a reliable internet connection. Their
            only option was to call and have paper forms mailed, which took about a week and
            made up a large share of our calls in February and March.

            ## What we did

            We set up an automated fax-back line. Callers dial the number, enter the
            three-digit code of the form they need, and receive it by fax within minutes. The
            form codes were printed in the instruction booklets and read out in the phone
            menu. The service ran on an existing fax server, so the only costs were the phone
            line and a few days of setup.

            ## Results

            In the first filing season, calls asking for paper forms to be mailed fell from
            about 5,400 to 3,100 a month, and the fax-back line sent around 2,000 forms a month
            at its peak. Tax preparers told us it was the most useful change we had made that
            year.

            ## What we would do differently

            Plan the end of the service from the start. Use fell every year as offices moved to
            broadband and downloaded forms from the website. Without a rule for when to switch
            it off, a service like this can run for years after its time, with nobody owning the
            decision.

            ## How to replicate

            Today we would not. Publish printable forms on the website, make sure they work on
            a phone, and keep a way to request paper forms by mail for people who need them.
            The lasting lesson is to offer a fast path for the people who need a form today,
            in the channel they actually have.
            """
        ),
        "tags": ["forms", "fax", "self-service"],
        "lead": "franklin-revenue",
        "contributing": [],
        "authors": ["priya"],
        "contact": "priya",
        "audience": Entry.Audience.EXTERNAL,
        "channels": ["phone", "mail"],
        "started_ago": 1400,
        "completed_ago": 1300,
        "cost_band": Entry.CostBand.LOW,
        "practice_status": Entry.PracticeStatus.RETIRED,
        "visibility": Entry.Visibility.PUBLIC,
        "review_in": None,
        "state": State.ARCHIVED,
        "days": {"created": 760, "submitted": 735, "decided": 720, "archived": 90},
        "archive_note": (
            "The fax-back line has been switched off; forms are downloadable and mailed on "
            "request. Kept for the record."
        ),
        "outcomes": [
            (
                "Calls asking for paper forms to be mailed",
                5400,
                3100,
                "calls a month",
                "Filing season, before vs after launch",
                "Phone system reports",
            ),
            (
                "Forms sent by fax",
                None,
                2000,
                "forms a month",
                "Peak filing season",
                "Fax server logs",
            ),
        ],
    },
]

# (source, target, kind, note): the source entry links to the target.
LINKS = [
    (
        "mobile-payment-plan-setup",
        "riverton-app-before-mobile-web",
        EntryLink.Kind.ADAPTED_FROM,
        "Chose the mobile web over an app after reading Riverton's lesson.",
    ),
    (
        "state-city-contact-center-practice-exchange",
        "customer-experience-champion-network",
        EntryLink.Kind.BUILDS_ON,
        "The champion model, run across three agencies.",
    ),
    (
        "callback-scheduling-cuts-phone-wait-times",
        "post-transaction-satisfaction-survey",
        EntryLink.Kind.RELATED,
        "Phone satisfaction was measured with this survey.",
    ),
    (
        "state-city-contact-center-practice-exchange",
        "callback-scheduling-cuts-phone-wait-times",
        EntryLink.Kind.RELATED,
        "Riverton's callback rules traveled through the exchange.",
    ),
]

# (older entry, newer entry that replaces it, note)
SUPERSEDED = [
    (
        "plain-language-letter-checklist",
        "plain-language-notices-guide",
        "The guide covers the checklist and adds testing and legal review.",
    ),
]

COLLECTIONS = [
    {
        "slug": "getting-started-with-customer-experience",
        "title": "Getting started with customer experience",
        "intro": _md(
            """
            New to customer experience work, or starting it in a team that has never done it?
            Read these in order. They move from **people** (who does the work) to
            **measurement** (how you know it helped) to **quick wins** that customers notice.

            Every entry was written by public servants who did the work, and each names
            someone you can contact.
            """
        ),
        "items": [
            ("customer-experience-champion-network", "Start here: who will do the work."),
            ("post-transaction-satisfaction-survey", "Measure before you change anything."),
            ("plain-language-notices-guide", "A quick win most teams can start this week."),
            (
                "callback-scheduling-cuts-phone-wait-times",
                "What a measured improvement looks like.",
            ),
            ("state-city-contact-center-practice-exchange", "Once you have something to share."),
        ],
    },
    {
        "slug": "mobile-and-digital-services",
        "title": "Mobile and digital services",
        "intro": _md(
            """
            Most people now reach government on a phone first. These entries cover what
            worked, and what did not, when agencies moved services onto small screens.
            """
        ),
        "items": [
            ("riverton-app-before-mobile-web", "Why the mobile website comes before an app."),
            ("mobile-payment-plan-setup", "The same lesson, applied at a state agency."),
            ("callback-scheduling-cuts-phone-wait-times", "Web booking that shortens the queue."),
        ],
    },
]


@transaction.atomic
def load(*, stdout=None) -> dict:
    """Create the demo content that is missing; return counts and the demo accounts."""
    now = timezone.now()

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(f"{message}\n")

    agencies, new_agencies = _load_agencies()
    say(f"Agencies: {len(agencies)} ({new_agencies} new)")
    users, accounts = _load_users(agencies)
    say(f"Users: {len(users)} ({sum(a['created'] for a in accounts)} new)")
    entries, created = _load_entries(users, agencies, now)
    say(f"Entries: {len(entries)} ({len(created)} new)")
    _feature_and_supersede(entries, created, users[MODERATOR], now)
    for source, target, kind, note in LINKS:
        EntryLink.objects.get_or_create(
            source=entries[source],
            target=entries[target],
            kind=kind,
            defaults={"note": note, "created_by": users[MODERATOR]},
        )
    # Wiki links resolve when the body is rendered: render again now that every entry exists.
    for entry in entries.values():
        if "[[" in entry.body:
            entry.save(update_fields=["body"])
    new_collections = _load_collections(entries, users[MODERATOR])
    say(f"Collections: {len(COLLECTIONS)} ({new_collections} new)")
    return {
        "agencies": len(agencies),
        "users": len(users),
        "entries": len(entries),
        "published": sum(e.state == State.PUBLISHED for e in entries.values()),
        "collections": len(COLLECTIONS),
        "created": {
            "agencies": new_agencies,
            "users": sum(a["created"] for a in accounts),
            "entries": len(created),
            "collections": new_collections,
        },
        "accounts": accounts,
    }


def _load_agencies() -> tuple[dict[str, Agency], int]:
    agencies, new = {}, 0
    for spec in AGENCIES:
        # An agency of the same name may exist under another slug (e.g. imported): reuse it.
        agency = (
            Agency.objects.filter(slug=spec["slug"]).first()
            or Agency.objects.filter(name=spec["name"]).first()
        )
        if agency is None:
            parent = agencies[spec["parent"]] if spec.get("parent") else None
            agency = Agency.objects.create(
                slug=spec["slug"],
                name=spec["name"],
                acronym=spec["acronym"],
                level=spec["level"],
                parent=parent,
            )
            new += 1
        agencies[spec["slug"]] = agency
    return agencies, new


def _load_users(agencies: dict[str, Agency]) -> tuple[dict[str, User], list[dict]]:
    """Create the demo accounts. Existing accounts keep their password and rights."""
    moderators = Group.objects.get_or_create(name=MODERATORS_GROUP)[0]
    users, accounts = {}, []
    for spec in USERS:
        agency = agencies[spec["agency"]]
        user, created = User.objects.get_or_create(
            username=spec["username"],
            defaults={
                "first_name": spec["first_name"],
                "last_name": spec["last_name"],
                "email": f"{spec['username']}@example.gov",
                "is_staff": spec["role"] == "admin",
                "is_superuser": spec["role"] == "admin",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            if spec["role"] == "moderator":
                user.groups.add(moderators)
        Profile.objects.get_or_create(
            user=user, defaults={"agency": agency, "job_title": spec["job_title"]}
        )
        users[spec["username"]] = user
        accounts.append(
            {
                "username": user.username,
                "password": DEMO_PASSWORD,
                "role": spec["role"],
                "agency": agency.name,
                "created": created,
            }
        )
    return users, accounts


def _load_entries(users, agencies, now) -> tuple[dict[str, Entry], set[str]]:
    channels = {c.slug: c for c in Channel.objects.all()}
    entries, created = {}, set()
    for spec in ENTRIES:
        entry = Entry.objects.filter(slug=spec["slug"]).first()
        if entry is None:
            entry = _create_entry(spec, users=users, agencies=agencies, channels=channels, now=now)
            created.add(spec["slug"])
        entries[spec["slug"]] = entry
    return entries, created


def _create_entry(spec: dict, *, users, agencies, channels, now) -> Entry:
    days = spec["days"]
    today = now.date()

    def day(n: int | None):
        return None if n is None else today - timedelta(days=n)

    published = spec["state"] in (State.PUBLISHED, State.ARCHIVED)
    entry = Entry.objects.create(
        slug=spec["slug"],
        kind=spec["kind"],
        title=spec["title"],
        summary=spec["summary"],
        body=spec["body"],
        lead_agency=agencies[spec["lead"]],
        created_by=users[spec["authors"][0]],
        contact=users[spec["contact"]],
        audience=spec["audience"],
        started=day(spec["started_ago"]),
        completed=day(spec["completed_ago"]),
        cost_band=spec["cost_band"],
        practice_status=spec["practice_status"],
        visibility=spec["visibility"],
        review_by=None if spec["review_in"] is None else today + timedelta(days=spec["review_in"]),
        created_at=now - timedelta(days=days["created"]),
        # approve() keeps a published_at that is already set.
        published_at=now - timedelta(days=days["decided"]) if published else None,
    )
    entry.tags.set(spec["tags"])
    entry.authors.set([users[name] for name in spec["authors"]])
    entry.contributing_agencies.set([agencies[slug] for slug in spec["contributing"]])
    entry.channels.set([channels[slug] for slug in spec["channels"] if slug in channels])
    OutcomeMetric.objects.bulk_create(
        OutcomeMetric(
            entry=entry,
            measure=measure,
            baseline=baseline,
            result=result,
            unit=unit,
            period=period,
            source=source,
            order=order,
        )
        for order, (measure, baseline, result, unit, period, source) in enumerate(spec["outcomes"])
    )
    _run_workflow(entry, spec, users=users, now=now)
    return entry


def _backdate(step: Transition, when) -> None:
    Transition.objects.filter(pk=step.pk).update(at=when)


def _run_workflow(entry: Entry, spec: dict, *, users, now) -> None:
    """Walk the entry through review to its demo state, as its authors and reviewer would."""
    author = users[spec["authors"][0]]
    reviewer = users[spec.get("reviewer", MODERATOR)]
    target = spec["state"]

    def at(key: str):
        return now - timedelta(days=spec["days"][key])

    _backdate(moderation.record_creation(entry, by=author), at("created"))
    if target == State.DRAFT:
        return
    _backdate(
        moderation.submit(entry, by=author, note=spec.get("submit_note", "")), at("submitted")
    )
    entry.submitted_at = at("submitted")
    Entry.objects.filter(pk=entry.pk).update(submitted_at=entry.submitted_at)
    if target == State.SUBMITTED:
        return
    note = spec.get("review_note", "")
    if target == State.CHANGES_REQUESTED:
        step = moderation.request_changes(entry, by=reviewer, note=note)
    elif target == State.REJECTED:
        step = moderation.reject(entry, by=reviewer, note=note)
    else:
        step = moderation.approve(entry, by=reviewer, note=note)
    _backdate(step, at("decided"))
    if target == State.ARCHIVED:
        step = moderation.archive(entry, by=reviewer, note=spec["archive_note"])
        _backdate(step, at("archived"))


def _feature_and_supersede(entries: dict[str, Entry], created: set[str], moderator, now) -> None:
    """Only for entries created in this run, so a second run adds no transitions."""
    for spec in ENTRIES:
        if spec["slug"] in created and spec.get("featured_order"):
            entry = entries[spec["slug"]]
            step = moderation.feature(entry, by=moderator, order=spec["featured_order"])
            _backdate(step, min(entry.published_at + timedelta(days=2), now))
    for old, new, note in SUPERSEDED:
        if old in created and entries[new].state == State.PUBLISHED:
            step = moderation.mark_superseded(
                entries[old], by=moderator, successor=entries[new], note=note
            )
            _backdate(step, min(entries[new].published_at + timedelta(days=1), now))


def _load_collections(entries: dict[str, Entry], moderator) -> int:
    new = 0
    for spec in COLLECTIONS:
        collection, created = Collection.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "intro": spec["intro"],
                "show_on_home": True,
                "created_by": moderator,
            },
        )
        new += created
        for order, (slug, note) in enumerate(spec["items"], start=1):
            CollectionItem.objects.get_or_create(
                collection=collection,
                entry=entries[slug],
                defaults={"order": order, "note": note},
            )
    return new
